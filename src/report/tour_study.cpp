// The tour's last section: the activation study in miniature. A few TPE trials on a small
// split, stored in <tour>/study.db, reported in <tour>/study/ (the full report page).
#include <filesystem>
#include <fstream>

#include "actlab/error.hpp"
#include "actlab/study/report.hpp"
#include "actlab/study/study.hpp"
#include "report/tour_page.hpp"

namespace actlab::report::detail {

void section_study(Page& pg) {
  const TourOptions& o = pg.options();
  pg.h2("study", pg.t("7. Which activation is best? A small study",
                      "7. 어떤 활성화 함수가 가장 좋을까? 작은 실험"));
  study::StudyOptions s;
  const fs::path db = pg.dir() / "study.db";
  s.storage_url = "sqlite:///" + fs::absolute(db).string();
  s.study_name = "tour";
  s.seed = o.seed;
  s.objective.data_folder = o.data;
  if (o.quick) {
    s.trials = 3;
    s.objective.sizes = {200, 100, 100, 200};
    s.objective.max_epochs = 1;
  } else {
    s.trials = 8;
    s.objective.sizes = {1000, 500, 1000, 2000};
    s.objective.max_epochs = 4;
  }
  s.objective.patience = 2;
  pg.p(fill(
      pg.t("Seed 001 asked the question with a search: Optuna's TPE sampler proposed the "
           "activation after the convolutions, the one after the 1024 → 64 layer, and the "
           "learning rate (log-uniform 5e-4 … 1e-2), 120 times, training the CNN to early "
           "stopping each time. actlab study does the same in C++ (TPE as Optuna 3.1, results "
           "in SQLite or PostgreSQL, resumable, several workers). Here it runs {} trials on a "
           "tiny split ({} training images, at most {} epochs each) so the page stays quick; "
           "the first 10 trials of TPE are random, so this shows the machinery, not the "
           "answer. The full study: actlab study run --trials 120 (docs/study.md).",
           "시드 001은 이 질문에 탐색으로 답했습니다. Optuna의 TPE 샘플러가 합성곱 뒤 활성화 "
           "함수, 1024 → 64 층 뒤 활성화 함수, 학습률(로그 균등 5e-4 … 1e-2)을 120번 제안하고, "
           "매번 조기 종료까지 CNN을 학습했습니다. actlab study는 같은 일을 C++로 합니다(Optuna "
           "3.1과 같은 TPE, SQLite 또는 PostgreSQL에 저장, 이어서 실행 가능, 여러 작업자). 여기서는 "
           "페이지가 빨리 만들어지도록 작은 분할(학습 이미지 {}장, 시행마다 최대 {} 에폭)로 {}번만 "
           "시행합니다. TPE의 처음 10번은 무작위이므로 답이 아니라 동작 방식을 보여 줍니다. 전체 "
           "실험: actlab study run --trials 120 (docs/study.md)."),
      pg.ko() ? std::vector<std::string>{std::to_string(s.objective.sizes.train),
                                         std::to_string(s.objective.max_epochs),
                                         std::to_string(s.trials)}
              : std::vector<std::string>{std::to_string(s.trials),
                                         std::to_string(s.objective.sizes.train),
                                         std::to_string(s.objective.max_epochs)}));
  std::vector<study::Trial> trials;
  std::vector<std::string> report_files;
  try {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix, ec);
    pg.step("study: " + std::to_string(s.trials) + " trials");
    std::unique_ptr<study::Storage> storage = study::open_storage(s.storage_url);
    const study::StudyRecord record =
        study::open_or_create_study(*storage, s, /*resume=*/false);
    study::run_worker(s, "tour", [&](const study::WorkerEvent& e) {
      if (e.kind == study::WorkerEvent::Kind::kTrialFinished && e.trial.value) {
        pg.step("study trial " + std::to_string(e.trial.number) + ": " +
                num(*e.trial.value, "%.4f"));
      }
    });
    study::ReportInput input;
    input.study_name = record.name;
    input.storage_url = s.storage_url;
    input.data_description = o.data;
    input.space = study::seed_search_space();
    input.trials = storage->trials(record.id);
    trials = input.trials;
    report_files = study::write_study_report(input, (pg.dir() / "study").string());
  } catch (const Error& e) {
    pg.note(fill(pg.t("The study was skipped: {}", "실험을 건너뛰었습니다: {}"), {e.what()}));
    pg.end_section();
    return;
  }
  const study::SearchSpace space = study::seed_search_space();
  std::vector<std::vector<std::string>> rows;
  const study::Trial* best = study::best_trial(trials);
  for (const study::Trial& t : trials) {
    std::vector<std::string> row = {std::to_string(t.number) + (&t == best ? " *" : "")};
    for (const study::ParamSpec& p : space) {
      const auto it = t.params.find(p.name);
      row.push_back(it == t.params.end() ? "-"
                    : p.distribution.kind == study::Distribution::Kind::kCategorical
                        ? study::seed_activation_labels().at(static_cast<std::size_t>(it->second))
                        : num(it->second, "%.5f"));
    }
    row.push_back(t.value ? num(*t.value, "%.4f") : "-");
    const auto epochs = t.attributes.find("epochs");
    row.push_back(epochs == t.attributes.end() ? "-" : epochs->second);
    rows.push_back(row);
  }
  pg.table({std::string(pg.t("trial", "시행")), std::string(pg.t("conv activation", "합성곱 활성화")),
            std::string(pg.t("FC activation", "완전연결 활성화")),
            std::string(pg.t("learning rate", "학습률")),
            std::string(pg.t("held-out accuracy", "별도 평가 정확도")),
            std::string(pg.t("epochs", "에폭"))},
           rows, true);
  // The report's first figure (the history of the search) shown here; the rest behind a link.
  for (const std::string& file : report_files) {
    if (file.size() > 4 && file.substr(file.size() - 4) == ".png") {
      const std::string rel = "study/" + fs::path(file).filename().string();
      pg.raw("<figure><img src=\"" + html_escape(rel) + "\" style=\"max-width:100%\" alt=\"" +
             html_escape(pg.t("the study's history", "실험 기록")) + "\"><figcaption>" +
             html_escape(pg.t("Each trial's held-out accuracy and the best so far.",
                              "시행별 별도 평가 정확도와 그때까지의 최고값.")) +
             "</figcaption></figure>\n");
      break;
    }
  }
  pg.raw("<p><a href=\"study/index.html\">" +
         html_escape(pg.t("The study's full report: every plot, parameter importance and all "
                          "trials →",
                          "실험 전체 보고서: 모든 그림, 매개변수 중요도, 모든 시행 →")) +
         "</a></p>\n");
  pg.end_section();
}

}  // namespace actlab::report::detail
