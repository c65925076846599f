// The study report page (include/actlab/study/report.hpp): one self-contained HTML file with
// its figures beside it as PNG (shown) and SVG (linked), inline CSS and nothing external.
#include "actlab/study/report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>

#include "actlab/error.hpp"
#include "actlab/report/tour.hpp"
#include "report/page_style.hpp"
#include "report_figures.hpp"

namespace actlab::study {
namespace {

namespace fs = std::filesystem;
using report::html_escape;
using namespace report_detail;

std::string fmt(double value, const char* format) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string attribute(const Trial& t, const std::string& key) {
  const auto it = t.attributes.find(key);
  return it == t.attributes.end() ? "" : it->second;
}

std::optional<double> number_attribute(const Trial& t, const std::string& key) {
  const std::string text = attribute(t, key);
  if (text.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// An accuracy attribute as percent: fractions (≤ 1) are scaled, anything unreadable is shown
// as written.
std::string accuracy_text(const Trial& t, const std::string& key) {
  const auto v = number_attribute(t, key);
  if (!v) return attribute(t, key);
  return (*v <= 1.0 ? percent(*v) : fmt(*v, "%.2f")) + " %";
}

std::string param_text(const ParamSpec& p, const Trial& t) {
  const auto it = t.params.find(p.name);
  return it == t.params.end() ? "\u2014" : p.distribution.format(it->second);
}

// For reading: floats to 4 significant digits with the exact value after it.
std::string param_short(const ParamSpec& p, const Trial& t) {
  const auto it = t.params.find(p.name);
  if (it == t.params.end() || p.distribution.kind == Distribution::Kind::kCategorical) {
    return param_text(p, t);
  }
  const std::string exact = p.distribution.format(it->second), shown = fmt(it->second, "%.4g");
  return shown == exact ? exact : shown + " (exactly " + exact + ")";
}

// A file name from a parameter name: letters, digits, '_' and '-' kept, the rest '_'.
std::string file_part(const std::string& name) {
  std::string out;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    out += (std::isalnum(u) || c == '_' || c == '-') && u < 0x80 ? c : '_';
  }
  return out.empty() ? "param" : out;
}

class Page {
 public:
  explicit Page(fs::path dir) : dir_(std::move(dir)) {}

  void raw(const std::string& html) { html_ += html; }
  void p(const std::string& text, const char* cls = nullptr) {
    html_ += std::string("<p") + (cls ? std::string(" class=\"") + cls + "\"" : "") + ">" +
             html_escape(text) + "</p>\n";
  }
  void h2(const std::string& id, const std::string& text) {
    html_ += "<section id=\"" + html_escape(id) + "\">\n<h2>" + html_escape(text) + "</h2>\n";
    toc_.emplace_back(id, text);
  }
  void end_section() { html_ += "</section>\n"; }
  void note(const std::string& text) {
    html_ += "<div class=\"note\">" + html_escape(text) + "</div>\n";
  }
  // Saves the figure as <name>.png and <name>.svg and shows the PNG with its caption.
  void figure(const plot::Figure& fig, const std::string& name, const std::string& caption) {
    for (const char* ext : {".png", ".svg"}) {
      const fs::path path = dir_ / (name + ext);
      fig.save(path.string());
      written_.push_back(path.string());
    }
    html_ += "<figure><img src=\"" + html_escape(name) + ".png\" width=\"" +
             std::to_string(fig.width()) + "\" height=\"" + std::to_string(fig.height()) +
             "\" alt=\"" + html_escape(caption) + "\"><figcaption>" + html_escape(caption) +
             " <a href=\"" + html_escape(name) + ".svg\">SVG</a></figcaption></figure>\n";
  }
  // A table; every cell escaped; `highlight` marks one body row; columns ≥ 1 right-aligned
  // when `numeric`.
  void table(const std::vector<std::string>& header,
             const std::vector<std::vector<std::string>>& rows, bool numeric = false,
             std::optional<std::size_t> highlight = {}) {
    html_ += std::string("<div class=\"scroll\"><table") + (numeric ? " class=\"num\"" : "") +
             "><thead><tr>";
    for (const auto& h : header) html_ += "<th>" + html_escape(h) + "</th>";
    html_ += "</tr></thead><tbody>\n";
    for (std::size_t r = 0; r < rows.size(); ++r) {
      html_ += highlight && *highlight == r ? "<tr class=\"best\">" : "<tr>";
      for (const auto& cell : rows[r]) html_ += "<td>" + html_escape(cell) + "</td>";
      html_ += "</tr>\n";
    }
    html_ += "</tbody></table></div>\n";
  }

  const std::string& body() const { return html_; }
  const std::vector<std::pair<std::string, std::string>>& toc() const { return toc_; }
  const std::vector<std::string>& written() const { return written_; }

 private:
  fs::path dir_;
  std::string html_;
  std::vector<std::pair<std::string, std::string>> toc_;
  std::vector<std::string> written_;
};

struct Counts {
  std::size_t complete = 0, pruned = 0, fail = 0, running = 0;
};

Counts count_states(const std::vector<Trial>& trials) {
  Counts c;
  for (const Trial& t : trials) {
    switch (t.state) {
      case TrialState::kComplete: ++c.complete; break;
      case TrialState::kPruned: ++c.pruned; break;
      case TrialState::kFail: ++c.fail; break;
      case TrialState::kRunning: ++c.running; break;
    }
  }
  return c;
}

bool has_value(const Trial& t) { return t.value && std::isfinite(*t.value); }

// Why the seed's numbers and ours differ, for the data this study used.
std::string data_caveat(const ReportInput& in) {
  std::string lower = in.data_description;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string data = in.data_description.empty() ? "not described" : in.data_description;
  if (lower.find("fashion") != std::string::npos) {
    return "The seed's values were measured on MNIST; the data here is " + data +
           ". Fashion-MNIST is harder (accuracies near 90 % instead of 98 %), so only the "
           "ordering of the choices is comparable, not the numbers.";
  }
  return "The seed's values were measured on MNIST (one unseeded run of 120 trials); the data "
         "here is " + data + ". Even on the same data, compare the ordering of the choices "
         "rather than the exact numbers: they move by tenths of a percent from run to run.";
}

// Rank (1 = best) of each present value among the present ones; "" where absent.
std::vector<std::string> ranks(const std::vector<std::optional<double>>& values) {
  std::vector<std::string> out(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i]) continue;
    std::size_t better = 0;
    for (const auto& v : values) better += v && *v > *values[i] ? 1 : 0;
    out[i] = std::to_string(better + 1);
  }
  return out;
}

void section_best(Page& pg, const ReportInput& in, const Trial& best) {
  pg.h2("best", "Best trial");
  std::string html = "<div class=\"box\"><div class=\"box-title\">Trial #" +
                     std::to_string(best.number) + "</div>\n<table class=\"kv\"><tbody>\n";
  const auto row = [&](const std::string& k, const std::string& v) {
    html += "<tr><th>" + html_escape(k) + "</th><td>" + html_escape(v) + "</td></tr>\n";
  };
  for (const ParamSpec& p : in.space) row(p.name, param_short(p, best));
  row("trial-validation accuracy", percent(*best.value) + " %");
  const std::string test = accuracy_text(best, "test_accuracy");
  row("test accuracy", test.empty() ? "not recorded yet" : test);
  if (!attribute(best, "epochs").empty()) row("epochs", attribute(best, "epochs"));
  html += "</tbody></table></div>\n";
  pg.raw(html);
  pg.end_section();
}

void section_history(Page& pg, const ReportInput& in, const Counts& counts) {
  pg.h2("history", "Optimisation history");
  pg.figure(history_figure(in), "history",
            "Each trial's objective, the accuracy on the trial-validation images, in trial "
            "order. Filled dots are COMPLETE trials; hollow grey ones were PRUNED (their value "
            "is the last epoch's). The step line is the best COMPLETE value so far.");
  std::string failed;
  for (const Trial& t : in.trials) {
    if (t.state != TrialState::kFail) continue;
    const std::string error = attribute(t, "error");
    failed += (failed.empty() ? "" : "; ") + ("#" + std::to_string(t.number)) +
              (error.empty() ? "" : " (" + error + ")");
  }
  if (!failed.empty()) pg.p("Failed trials, not plotted: " + failed + ".");
  if (counts.running > 0) {
    pg.p(std::to_string(counts.running) + " trial(s) still RUNNING, not plotted.");
  }
  pg.end_section();
}

void section_best_by(Page& pg, const ReportInput& in, const ParamSpec& param) {
  const bool seed = is_seed_activation_param(param);
  pg.h2("best_by_" + file_part(param.name), "Best accuracy per " + param.name);
  pg.figure(best_by_figure(in, param), "best_by_" + file_part(param.name),
            "The best trial-validation accuracy reached with each choice of " + param.name +
                ", in the search space's order" +
                (seed ? "; below, the seed notebook's values on MNIST (EXPERIMENTS.md §1)" : "") +
                ". The y axis starts near the lowest bar, not at 0.");
  const std::vector<std::optional<double>> best = best_per_choice(in.trials, param);
  std::vector<std::size_t> tried(param.distribution.choices.size(), 0);
  for (const Trial& t : in.trials) {
    const auto it = t.params.find(param.name);
    if (t.state == TrialState::kComplete && has_value(t) && it != t.params.end() &&
        param.distribution.contains(it->second)) {
      ++tried[static_cast<std::size_t>(it->second)];
    }
  }
  const std::vector<std::string> rank = ranks(best);
  std::vector<std::string> header{"choice", "COMPLETE trials", "best accuracy (%)", "rank"};
  std::vector<std::string> seed_rank;
  std::vector<SeedBest> seed_values;
  if (seed) {
    seed_values = seed_best(param.name);
    std::vector<std::optional<double>> exact;
    for (const SeedBest& s : seed_values) exact.push_back(s.value);
    seed_rank = ranks(exact);
    std::size_t known = 0;
    for (const auto& e : exact) known += e ? 1 : 0;
    for (std::size_t i = 0; i < seed_rank.size(); ++i) {
      // Choices known only as a range share the places after the exact ones.
      if (!exact[i]) {
        seed_rank[i] = std::to_string(known + 1) + "\u2013" + std::to_string(exact.size());
      }
    }
    header.insert(header.end(), {"seed, MNIST (%)", "seed rank"});
  }
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < param.distribution.choices.size(); ++i) {
    std::vector<std::string> row{param.distribution.choices[i], std::to_string(tried[i]),
                                 best[i] ? percent(*best[i]) : "not tried", rank[i]};
    if (seed) row.insert(row.end(), {seed_values[i].text, seed_rank[i]});
    rows.push_back(row);
  }
  pg.table(header, rows, true);
  if (seed) {
    pg.note(data_caveat(in));
  }
  pg.end_section();
}

void section_value_vs(Page& pg, const ReportInput& in, const ParamSpec& x,
                      const std::vector<const ParamSpec*>& categoricals) {
  pg.h2("value_vs_" + file_part(x.name), "Accuracy against " + x.name);
  const std::vector<const ParamSpec*> colours =
      categoricals.empty() ? std::vector<const ParamSpec*>{nullptr} : categoricals;
  for (const ParamSpec* c : colours) {
    const std::string name =
        "value_vs_" + file_part(x.name) + (c ? "_by_" + file_part(c->name) : "");
    pg.figure(value_vs_figure(in, x, c), name,
              "Trial-validation accuracy of the COMPLETE trials against " + x.name +
                  (x.distribution.log ? " (log scale, as it is sampled)" : "") +
                  (c ? ", one colour per " + c->name : "") + ".");
  }
  pg.end_section();
}

void section_curves(Page& pg, const ReportInput& in) {
  pg.h2("curves", "Learning curves");
  pg.figure(learning_curves_figure(in), "learning_curves",
            "The intermediate values each trial reported: accuracy on the epoch-validation "
            "images after every epoch (the pruner compares these). A dot marks where a trial "
            "stopped; the best trial is drawn thick.");
  pg.end_section();
}

void section_importance(Page& pg, const std::vector<Importance>& importance,
                        std::size_t complete) {
  pg.h2("importance", "Parameter importance");
  pg.figure(importance_figure(importance, complete), "importance",
            "How much of the accuracy's variance each parameter explains on its own: functional "
            "ANOVA main effects of a 64-tree random forest fitted to the COMPLETE trials (as "
            "Optuna's default importance evaluator).");
  double sum = 0;
  std::vector<std::vector<std::string>> rows;
  for (const Importance& i : importance) {
    rows.push_back({i.name, fmt(i.importance, "%.3f")});
    sum += i.importance;
  }
  rows.push_back({"interactions (the rest)", fmt(std::max(0.0, 1.0 - sum), "%.3f")});
  pg.table({"parameter", "share of variance"}, rows, true);
  pg.p("The forest is grown on the choices and the float parameters (log10 for log-scale "
       "ones) and averaged over the whole search space; the rest of the variance comes from "
       "interactions between parameters. With few trials it is a rough guide, not a "
       "measurement.");
  pg.end_section();
}

void section_seed(Page& pg, const ReportInput& in, const Trial* best, const Counts& counts) {
  pg.h2("seed", "Compared with the seed notebook");
  std::size_t collapsed = 0;
  std::optional<double> min_lr, max_value;
  for (const Trial& t : in.trials) {
    if (t.state != TrialState::kComplete || !has_value(t) || *t.value >= kCollapsed) continue;
    ++collapsed;
    max_value = std::max(max_value.value_or(*t.value), *t.value);
    const auto lr = t.params.find("learning_rate");
    if (lr != t.params.end()) min_lr = std::min(min_lr.value_or(lr->second), lr->second);
  }
  const auto ours = [&](const std::string& name) {
    for (const ParamSpec& p : in.space) {
      if (p.name != name || !best) continue;
      const auto it = best->params.find(name);
      if (p.distribution.kind == Distribution::Kind::kFloat && it != best->params.end()) {
        return fmt(it->second, "%.4g");  // as the seed's table gives it
      }
      return param_text(p, *best);
    }
    return std::string("\u2014");
  };
  std::string test = best ? accuracy_text(*best, "test_accuracy") : "";
  std::string ours_collapsed = std::to_string(collapsed);
  if (collapsed > 0) {
    ours_collapsed += ", all \u2264 " + percent(*max_value) + " %";
    if (min_lr) ours_collapsed += ", all with lr \u2265 " + fmt(*min_lr, "%.4g");
  }
  pg.table({"", "seed notebook", "this study"},
           {{"data", "MNIST (10,000 of the training images, test = the 10,000 test images)",
             in.data_description.empty() ? "\u2014" : in.data_description},
            {"trials", "120 COMPLETE (Optuna TPE, unseeded)",
             std::to_string(counts.complete) + " COMPLETE, " + std::to_string(counts.pruned) +
                 " PRUNED, " + std::to_string(counts.fail) + " FAIL"},
            {"best conv_activation", "prelu", ours("conv_activation")},
            {"best fc_activation", "tanh", ours("fc_activation")},
            {"best learning_rate", "0.001988", ours("learning_rate")},
            {"trial-validation accuracy", "97.94 %", best ? percent(*best->value) + " %" : "\u2014"},
            {"test accuracy", "98.02 %", test.empty() ? "not recorded" : test},
            {"collapsed trials (accuracy < 20 %)", "4, all at 11.54 %, all with lr \u2265 0.0033",
             ours_collapsed}});
  pg.note(data_caveat(in) + " The same goes for where training collapses.");
  pg.end_section();
}

void section_trials(Page& pg, const ReportInput& in, std::optional<std::size_t> best) {
  pg.h2("trials", "All trials");
  std::vector<std::string> header{"#", "state"};
  for (const ParamSpec& p : in.space) header.push_back(p.name);
  header.insert(header.end(), {"accuracy (%)", "epochs", "seconds", "worker", "error"});
  std::vector<std::vector<std::string>> rows;
  for (const Trial& t : in.trials) {
    std::vector<std::string> row{std::to_string(t.number), state_name(t.state)};
    for (const ParamSpec& p : in.space) row.push_back(param_text(p, t));
    const auto seconds = number_attribute(t, "seconds");
    row.insert(row.end(), {has_value(t) ? percent(*t.value) : "\u2014", attribute(t, "epochs"),
                           seconds ? fmt(*seconds, "%.1f") : attribute(t, "seconds"),
                           attribute(t, "worker"), attribute(t, "error")});
    rows.push_back(row);
  }
  if (best) {
    pg.p("In trial order; the best trial's row is highlighted.");
  }
  pg.table(header, rows, true, best);
  pg.end_section();
}

// The report's own rules, after the shared ones (report/page_style.hpp).
const char* kReportStyle = R"(
td:last-child{white-space:normal;max-width:28em}
tr.best,tr.best:nth-child(even){background:#fff3c4;font-weight:bold}
.box{border:2px solid #2680c2;border-radius:8px;padding:8px 18px 12px;margin:12px 0;display:inline-block;background:#f5faff}
.box-title{font-weight:bold;font-size:1.1em;color:#0b5cad;margin-bottom:6px}
table.kv th{text-align:left;background:none;border:none;padding:2px 16px 2px 0;font-weight:normal;color:#52606d}
table.kv td{border:none;padding:2px 0;font-weight:bold}
.empty{border-left:4px solid #d9822b;background:#fff7ed;padding:10px 14px;margin:16px 0;border-radius:0 6px 6px 0}
)";

}  // namespace

std::vector<std::string> write_study_report(const ReportInput& input, const std::string& folder) {
  const fs::path dir(folder);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw Error(ErrorCode::kIo, "study report: cannot create the folder '" + folder + "'" +
                                    (ec ? ": " + ec.message() : ""));
  }
  const fs::path page_path = dir / "index.html";
  const Counts counts = count_states(input.trials);
  const std::optional<std::size_t> best_index = best_trial(input.trials);
  const Trial* best = best_index ? &input.trials[*best_index] : nullptr;
  const bool any_value = std::any_of(input.trials.begin(), input.trials.end(), [](const Trial& t) {
    return has_value(t) && (t.state == TrialState::kComplete || t.state == TrialState::kPruned);
  });

  Page pg(dir);
  if (!any_value) {
    pg.raw("<div class=\"empty\">" +
           html_escape("There are no finished trials yet: no COMPLETE or PRUNED trial has a "
                       "value, so there is nothing to plot. Run the study, then write the "
                       "report again.") +
           "</div>\n");
  } else {
    std::vector<const ParamSpec*> categoricals, floats;
    for (const ParamSpec& p : input.space) {
      (p.distribution.kind == Distribution::Kind::kCategorical ? categoricals : floats)
          .push_back(&p);
    }
    if (best) section_best(pg, input, *best);
    section_history(pg, input, counts);
    if (best) {
      for (const ParamSpec* c : categoricals) section_best_by(pg, input, *c);
      for (const ParamSpec* f : floats) section_value_vs(pg, input, *f, categoricals);
    }
    const bool curves = std::any_of(input.trials.begin(), input.trials.end(),
                                    [](const Trial& t) { return !t.intermediate.empty(); });
    if (curves) section_curves(pg, input);
    const std::vector<Importance> importance = parameter_importance(input.space, input.trials);
    if (!importance.empty()) section_importance(pg, importance, counts.complete);
    if (is_seed_space(input.space)) section_seed(pg, input, best, counts);
  }
  if (!input.trials.empty()) section_trials(pg, input, best_index);

  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      html_escape("Study report: " + input.study_name) + "</title>\n<style>" + report::kBaseStyle +
      kReportStyle + "</style>\n</head>\n<body>\n<main>\n<h1>" +
      html_escape("Study report: " + input.study_name) + "</h1>\n";
  std::string lead = std::to_string(input.trials.size()) +
                     " trials: " + std::to_string(counts.complete) + " COMPLETE, " +
                     std::to_string(counts.pruned) + " PRUNED, " + std::to_string(counts.fail) +
                     " FAIL, " + std::to_string(counts.running) +
                     " RUNNING. The objective is the accuracy on the trial-validation images "
                     "(maximised).";
  if (!input.data_description.empty()) lead += " Data: " + input.data_description + ".";
  if (!input.storage_url.empty()) lead += " Storage: " + input.storage_url + ".";
  html += "<p class=\"lead\">" + html_escape(lead) + "</p>\n";
  if (!pg.toc().empty()) {
    html += "<nav><b>Contents</b><ol>\n";
    for (const auto& [id, title] : pg.toc()) {
      html += "<li><a href=\"#" + html_escape(id) + "\">" + html_escape(title) + "</a></li>\n";
    }
    html += "</ol></nav>\n";
  }
  html += pg.body();
  html += "<footer>" +
          html_escape("Written by actlab. Figures drawn with Cairo (PNG shown, SVG linked); the "
                      "page needs nothing beyond this folder.") +
          "</footer>\n</main>\n</body>\n</html>\n";

  std::ofstream out(page_path, std::ios::binary | std::ios::trunc);
  out << html;
  out.close();
  if (!out) throw Error(ErrorCode::kIo, "study report: cannot write '" + page_path.string() + "'");
  std::vector<std::string> written{page_path.string()};
  written.insert(written.end(), pg.written().begin(), pg.written().end());
  return written;
}

}  // namespace actlab::study
