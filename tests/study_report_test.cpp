// The study report (include/actlab/study/report.hpp): every figure is written as a valid PNG
// and SVG and referenced by the page, the page names the best trial and its test accuracy,
// is well formed, escapes names and loads in headless Chromium; parameter importance finds
// the parameters the objective depends on, and is deterministic for a seed.
#include "actlab/study/report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "actlab/error.hpp"
#include "actlab/plot/picture.hpp"
#include "actlab/random.hpp"
#include "support/html_pages.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using actlab::Rng;
using actlab::test::run_command;
using namespace actlab::test;  // support/html_pages.hpp
using namespace actlab::study;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Beside the build's bin/ folder, so that a failing page can be looked at afterwards.
// One folder per test process: CTest runs each test of this file as its own process, in
// parallel, and SeedReport's SetUpTestSuite rewrites its folder (a shared one raced: a test
// found the folder emptied by another's set-up).
fs::path out_dir(const std::string& name) {
  return fs::path(ACTLAB_CLI_PATH).parent_path().parent_path() /
         ("study-report-test-" + std::to_string(getpid())) / name;
}

// The value model of the synthetic study: conv and FC choices each add a fixed amount, the
// learning rate costs accuracy away from 2e-3, and lr > 6e-3 with an even conv choice
// collapses (11.54 %).
double synthetic_value(std::size_t conv, std::size_t fc, double lr, Rng& rng) {
  if (lr > 6e-3 && conv % 2 == 0) return 0.1154;
  const double l = std::log10(lr / 2e-3);
  return 0.86 + 0.004 * static_cast<double>(conv) + 0.002 * static_cast<double>(fc) -
         0.03 * l * l + 0.002 * rng.uniform();
}

// 30 trials over the seed's space: PRUNED 5, 11, 17, 23; FAIL 13; RUNNING 29; the rest
// COMPLETE, each with epoch-validation curves and the runner's attributes. The best
// COMPLETE trial gets a test accuracy.
std::vector<Trial> synthetic_trials(std::size_t count = 30, std::uint64_t seed = 3) {
  Rng rng(seed);
  std::vector<Trial> trials;
  for (std::size_t i = 0; i < count; ++i) {
    Trial t;
    t.number = static_cast<std::int64_t>(i);
    const auto conv = static_cast<std::size_t>(rng.below(8));
    const auto fc = static_cast<std::size_t>(rng.below(8));
    const double lr = std::exp(rng.uniform(std::log(5e-4), std::log(1e-2)));
    t.params = {{"conv_activation", static_cast<double>(conv)},
                {"fc_activation", static_cast<double>(fc)},
                {"learning_rate", lr}};
    const double value = synthetic_value(conv, fc, lr, rng);
    const bool pruned = i % 6 == 5, failed = i == 13, running = i + 1 == count;
    const std::size_t epochs = pruned ? 1 + i % 3 : 6 + rng.below(8);
    for (std::size_t e = 1; e <= epochs; ++e) {
      t.intermediate[static_cast<std::int64_t>(e)] =
          value * (1 - 0.5 * std::exp(-static_cast<double>(e))) + 0.003 * rng.uniform();
    }
    t.state = pruned ? TrialState::kPruned : TrialState::kComplete;
    t.value = pruned ? t.intermediate.rbegin()->second : value;
    t.attributes = {{"epochs", std::to_string(epochs)},
                    {"seconds", std::to_string(10.0 + static_cast<double>(epochs) * 3.5)},
                    {"worker", "host-" + std::to_string(i % 2)}};
    if (failed) {
      t.state = TrialState::kFail;
      t.value.reset();
      t.intermediate.clear();
      t.attributes["error"] = "CUDA <out> of memory & more";
    }
    if (running) {
      t.state = TrialState::kRunning;
      t.value.reset();
    }
    trials.push_back(t);
  }
  return trials;
}

std::size_t best_index(const std::vector<Trial>& trials) {
  std::size_t best = trials.size();
  for (std::size_t i = 0; i < trials.size(); ++i) {
    if (trials[i].state != TrialState::kComplete) continue;
    if (best == trials.size() || *trials[i].value > *trials[best].value) best = i;
  }
  return best;
}

ReportInput seed_input() {
  ReportInput in;
  in.study_name = "activations";
  in.storage_url = "sqlite:///tmp/study.db";
  in.data_description = "Fashion-MNIST (synthetic values for the test)";
  in.space = seed_search_space();
  in.trials = synthetic_trials();
  in.trials[best_index(in.trials)].attributes["test_accuracy"] = "0.8812";
  return in;
}

// Python's html.parser: balanced tags, no '<' in text, the image and link targets, and any
// external resource.
const char* kChecker = R"PY(
import json, sys
from html.parser import HTMLParser
VOID = {"meta", "img", "br", "link", "input", "hr", "wbr", "source"}
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.stack, self.errors, self.imgs, self.links, self.external = [], [], [], [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img": self.imgs.append(a.get("src", ""))
        if tag == "a" and not (a.get("href") or "").startswith("#"): self.links.append(a.get("href", ""))
        for k in ("src", "href"):
            v = a.get(k) or ""
            if v.startswith(("http:", "https:", "//", "file:")): self.external.append(v)
        if tag not in VOID: self.stack.append(tag)
    def handle_endtag(self, tag):
        if tag in VOID: return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("unbalanced </%s> (open: %s)" % (tag, "/".join(self.stack[-4:])))
        else:
            self.stack.pop()
    def handle_data(self, data):
        if "<" in data and (not self.stack or self.stack[-1] != "style"):
            self.errors.append("unescaped '<' in text: %r" % data[:60])
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read()); p.close()
if p.stack: p.errors.append("unclosed: " + "/".join(p.stack))
print(json.dumps({"errors": p.errors, "imgs": p.imgs, "links": p.links, "external": p.external}))
)PY";

nlohmann::json check_html(const fs::path& page) { return run_page_checker(page, kChecker); }

const std::vector<std::string> kSeedFigures = {
    "history",
    "best_by_conv_activation",
    "best_by_fc_activation",
    "value_vs_learning_rate_by_conv_activation",
    "value_vs_learning_rate_by_fc_activation",
    "learning_curves",
    "importance"};

class SeedReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::remove_all(out_dir("seed"));
    input_ = new ReportInput(seed_input());
    paths_ = new std::vector<std::string>(write_study_report(*input_, out_dir("seed").string()));
  }
  static void TearDownTestSuite() {
    delete input_;
    delete paths_;
  }
  static ReportInput* input_;
  static std::vector<std::string>* paths_;
};
ReportInput* SeedReport::input_ = nullptr;
std::vector<std::string>* SeedReport::paths_ = nullptr;

TEST_F(SeedReport, WritesEveryFigureAsPngAndSvg) {
  const fs::path dir = out_dir("seed");
  ASSERT_FALSE(paths_->empty());
  EXPECT_EQ(paths_->front(), (dir / "index.html").string());
  EXPECT_EQ(paths_->size(), 1 + 2 * kSeedFigures.size());
  for (const std::string& name : kSeedFigures) {
    const fs::path png = dir / (name + ".png"), svg = dir / (name + ".svg");
    EXPECT_NE(std::find(paths_->begin(), paths_->end(), png.string()), paths_->end()) << name;
    EXPECT_NE(std::find(paths_->begin(), paths_->end(), svg.string()), paths_->end()) << name;
    ASSERT_TRUE(fs::exists(png)) << png;
    ASSERT_TRUE(fs::exists(svg)) << svg;
    const std::string png_bytes = read_text(png);
    EXPECT_EQ(png_bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << name;
    EXPECT_GT(png_bytes.size(), 10000u) << name;
    const actlab::plot::Picture pic = actlab::plot::read_picture(png.string());
    EXPECT_EQ(pic.width, 1000u) << name;
    EXPECT_GE(pic.height, 300u) << name;
    const std::string svg_text = read_text(svg);
    EXPECT_GT(svg_text.size(), 5000u) << name;
    const auto root = svg_text.find("<svg");
    ASSERT_NE(root, std::string::npos) << name;
    EXPECT_TRUE(contains(svg_text.substr(root, 200), "xmlns=\"http://www.w3.org/2000/svg\""))
        << name;
    EXPECT_NE(svg_text.rfind("</svg>"), std::string::npos) << name;
  }
}

TEST_F(SeedReport, PageReferencesEveryFigureAndIsWellFormed) {
  const fs::path page = out_dir("seed") / "index.html";
  const std::string html = read_text(page);
  const nlohmann::json j = check_html(page);
  EXPECT_TRUE(j["errors"].empty()) << j["errors"].dump(2);
  EXPECT_TRUE(j["external"].empty()) << j["external"].dump();
  std::vector<std::string> imgs = j["imgs"], links = j["links"];
  EXPECT_EQ(imgs.size(), kSeedFigures.size());
  for (const std::string& name : kSeedFigures) {
    EXPECT_NE(std::find(imgs.begin(), imgs.end(), name + ".png"), imgs.end()) << name;
    EXPECT_NE(std::find(links.begin(), links.end(), name + ".svg"), links.end()) << name;
  }
  EXPECT_FALSE(contains(html, "<link")) << "the CSS is inline";
  EXPECT_TRUE(contains(html, "<style>"));
}

TEST_F(SeedReport, PageNamesTheBestTrialAndItsTestAccuracy) {
  const std::string html = read_text(out_dir("seed") / "index.html");
  const Trial& best = input_->trials[best_index(input_->trials)];
  const auto box = html.find("<div class=\"box\">");
  ASSERT_NE(box, std::string::npos);
  const std::string box_html = html.substr(box, html.find("</table></div>", box) - box);
  EXPECT_TRUE(contains(box_html, "Trial #" + std::to_string(best.number))) << box_html;
  for (const ParamSpec& p : input_->space) {
    EXPECT_TRUE(contains(box_html, p.distribution.format(best.params.at(p.name)))) << p.name;
  }
  char value[32];
  std::snprintf(value, sizeof value, "%.2f %%", *best.value * 100);
  EXPECT_TRUE(contains(box_html, value)) << value << "\n" << box_html;
  EXPECT_TRUE(contains(box_html, "88.12 %")) << box_html;
  // The best row of the table is highlighted, the failed trial's error is listed (escaped).
  EXPECT_TRUE(contains(html, "<tr class=\"best\"><td>" + std::to_string(best.number) + "</td>"));
  EXPECT_TRUE(contains(html, "#13 (CUDA &lt;out&gt; of memory &amp; more)"));
  // The seed's MNIST results beside ours, with the caveat about the data.
  EXPECT_TRUE(contains(html, "97.94"));
  EXPECT_TRUE(contains(html, "98.02 %"));
  EXPECT_TRUE(contains(html, "96.5\u201396.8"));
  EXPECT_TRUE(contains(html, "only the ordering of the choices is comparable"));
  // Our collapsed trials are counted with their smallest learning rate.
  std::size_t collapsed = 0;
  for (const Trial& t : input_->trials) {
    collapsed += t.state == TrialState::kComplete && *t.value < 0.2 ? 1 : 0;
  }
  ASSERT_GT(collapsed, 0u) << "the synthetic study should have collapsed trials";
  EXPECT_TRUE(contains(html, "<td>" + std::to_string(collapsed) + ", all \u2264 11.54 %"))
      << collapsed;
}

TEST_F(SeedReport, ChromiumLoadsEveryImageAndTakesAScreenshot) {
  const auto which = run_command("command -v chromium");
  ASSERT_EQ(which.exit_code, 0) << "chromium is not installed (scripts/setup.sh installs it)";
  const fs::path dir = out_dir("seed"), page = dir / "index.html";
  // A test-only copy that counts, after loading, the images that failed.
  const fs::path probe = dir / "probe.html";
  const std::string html = with_image_probe(read_text(page));
  ASSERT_FALSE(html.empty()) << "no </body> in " << page;
  write_text(probe, html);
  const auto dom = run_command(
      chromium_command("--virtual-time-budget=10000 --dump-dom", probe));
  fs::remove(probe);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  const std::string expected =
      "<title>IMAGES " + std::to_string(kSeedFigures.size()) + " BROKEN 0</title>";
  EXPECT_TRUE(contains(dom.out, expected)) << "expected " << expected << "\n"
                                           << dom.err.substr(0, 2000);

  const fs::path shot = dir / "screenshot.png";
  fs::remove(shot);
  const auto r = run_command(
      chromium_command("--screenshot=" + quote(shot.string()) + " --window-size=1200,2400", page));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(shot)) << r.err;
  const actlab::plot::Picture pic = actlab::plot::read_picture(shot.string());
  EXPECT_EQ(pic.width, 1200u);
  EXPECT_EQ(pic.height, 2400u);
  std::size_t dark = 0, inked_rows = 0;
  for (std::size_t y = 0; y < pic.height; ++y) {
    bool ink = false;
    for (std::size_t x = 0; x < pic.width; ++x) {
      if (pic.at(y, x, 0) < 128) ++dark, ink = true;
    }
    inked_rows += ink ? 1 : 0;
  }
  EXPECT_GT(dark, 20000u) << "the screenshot looks blank";
  EXPECT_GT(inked_rows, 600u) << "the screenshot looks blank";
}

TEST(StudyReport, NoTrialsGivesAPageWithoutFigures) {
  const fs::path dir = out_dir("empty");
  fs::remove_all(dir);
  ReportInput in;
  in.study_name = "nothing yet";
  in.space = seed_search_space();
  const auto paths = write_study_report(in, dir.string());
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_EQ(paths[0], (dir / "index.html").string());
  const std::string html = read_text(dir / "index.html");
  EXPECT_TRUE(contains(html, "no finished trials yet"));
  EXPECT_FALSE(contains(html, "<img"));
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename(), "index.html") << entry.path();
  }
  EXPECT_TRUE(check_html(dir / "index.html")["errors"].empty());

  // Only a RUNNING trial: still nothing to plot, but the trial is listed.
  Trial running;
  running.number = 0;
  running.params = {{"conv_activation", 1}};
  in.trials.push_back(running);
  const auto again = write_study_report(in, dir.string());
  EXPECT_EQ(again.size(), 1u);
  const std::string html2 = read_text(dir / "index.html");
  EXPECT_TRUE(contains(html2, "no finished trials yet"));
  EXPECT_TRUE(contains(html2, "<td>RUNNING</td>"));
}

TEST(StudyReport, EscapesNamesAndWorksWithAnySpace) {
  const fs::path dir = out_dir("generic");
  fs::remove_all(dir);
  ReportInput in;
  in.study_name = "<script>alert(1)</script>";
  in.space = {{"opt<i>", Distribution::categorical({"<b>&", "plain", "never"})},
              {"momentum", Distribution::uniform_float(0, 1)}};
  Rng rng(5);
  for (int i = 0; i < 12; ++i) {
    Trial t;
    t.number = i;
    t.state = TrialState::kComplete;
    t.params = {{"opt<i>", static_cast<double>(i % 2)}, {"momentum", rng.uniform()}};
    t.value = 0.5 + 0.3 * t.params["momentum"] + 0.05 * (i % 2);
    in.trials.push_back(t);
  }
  const auto paths = write_study_report(in, dir.string());
  const std::string html = read_text(dir / "index.html");
  const nlohmann::json j = check_html(dir / "index.html");
  EXPECT_TRUE(j["errors"].empty()) << j["errors"].dump(2);
  EXPECT_FALSE(contains(html, "<script>alert"));
  EXPECT_TRUE(contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_FALSE(contains(html, "<b>&"));
  EXPECT_TRUE(contains(html, "<td>&lt;b&gt;&amp;</td>"));
  EXPECT_TRUE(contains(html, "<td>never</td><td>0</td><td>not tried</td>"));
  // Generic figures, file names made safe; no seed comparison for a space that is not the seed's.
  for (const char* name :
       {"history", "best_by_opt_i_", "value_vs_momentum_by_opt_i_", "importance"}) {
    EXPECT_TRUE(fs::exists(dir / (std::string(name) + ".png"))) << name;
    EXPECT_TRUE(fs::exists(dir / (std::string(name) + ".svg"))) << name;
    EXPECT_TRUE(contains(html, std::string("src=\"") + name + ".png\"")) << name;
  }
  EXPECT_FALSE(fs::exists(dir / "learning_curves.png")) << "no intermediate values were given";
  EXPECT_FALSE(contains(html, "seed notebook"));
  EXPECT_EQ(paths.size(), 1u + 2 * 4);
}

TEST(StudyReport, OneTrialAndManyTrials) {
  // One COMPLETE trial: every figure but the importance (it needs 2).
  const fs::path one = out_dir("one");
  fs::remove_all(one);
  ReportInput in = seed_input();
  in.trials.resize(1);
  ASSERT_EQ(in.trials[0].state, TrialState::kComplete);
  const auto paths = write_study_report(in, one.string());
  EXPECT_EQ(paths.size(), 1 + 2 * (kSeedFigures.size() - 1));
  EXPECT_FALSE(fs::exists(one / "importance.png"));
  EXPECT_TRUE(fs::exists(one / "learning_curves.png"));
  EXPECT_TRUE(check_html(one / "index.html")["errors"].empty());

  // 400 trials: every figure, in a few seconds.
  const fs::path many = out_dir("many");
  fs::remove_all(many);
  in.trials = synthetic_trials(400, 9);
  const auto start = std::chrono::steady_clock::now();
  const auto written = write_study_report(in, many.string());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(written.size(), 1 + 2 * kSeedFigures.size());
  EXPECT_LT(seconds, 20.0);
  const std::string html = read_text(many / "index.html");
  EXPECT_TRUE(contains(html, "<td>399</td>"));
}

TEST(StudyReport, UnwritableFolderIsAnIoError) {
  const fs::path file = fs::temp_directory_path() / "actlab_study_report_not_a_folder";
  write_text(file, "x");
  ReportInput in = seed_input();
  try {
    write_study_report(in, (file / "report").string());
    ADD_FAILURE() << "expected an error";
  } catch (const actlab::Error& e) {
    EXPECT_EQ(e.code(), actlab::ErrorCode::kIo);
    EXPECT_TRUE(contains(e.what(), (file / "report").string())) << e.what();
  }
  fs::remove(file);
}

// ---- importance ---------------------------------------------------------------------------

// `n` COMPLETE trials uniform over the seed's space with value = f(conv, fc, log10 lr).
template <typename F>
std::vector<Trial> trials_with(std::size_t n, std::uint64_t seed, F f) {
  Rng rng(seed);
  std::vector<Trial> trials;
  for (std::size_t i = 0; i < n; ++i) {
    Trial t;
    t.number = static_cast<std::int64_t>(i);
    t.state = TrialState::kComplete;
    const auto conv = static_cast<double>(rng.below(8)), fc = static_cast<double>(rng.below(8));
    const double log_lr = rng.uniform(std::log10(5e-4), std::log10(1e-2));
    t.params = {{"conv_activation", conv}, {"fc_activation", fc},
                {"learning_rate", std::pow(10.0, log_lr)}};
    t.value = f(conv, fc, log_lr);
    trials.push_back(t);
  }
  return trials;
}

double importance_of(const std::vector<Importance>& imp, const std::string& name) {
  for (const Importance& i : imp) {
    if (i.name == name) return i.importance;
  }
  ADD_FAILURE() << "no importance for " << name;
  return -1;
}

TEST(ParameterImportance, OneParameterExplainsEverything) {
  const auto trials = trials_with(60, 11, [](double, double, double log_lr) {
    return 0.9 - 0.05 * (log_lr + 2.7) * (log_lr + 2.7);
  });
  const auto imp = parameter_importance(seed_search_space(), trials, 0);
  ASSERT_EQ(imp.size(), 3u);
  EXPECT_EQ(imp[0].name, "conv_activation");
  EXPECT_EQ(imp[1].name, "fc_activation");
  EXPECT_EQ(imp[2].name, "learning_rate");
  EXPECT_GT(importance_of(imp, "learning_rate"), 0.8);
  EXPECT_LT(importance_of(imp, "conv_activation"), 0.05);
  EXPECT_LT(importance_of(imp, "fc_activation"), 0.05);

  // The same with a categorical as the only cause.
  const auto by_conv = trials_with(60, 12, [](double conv, double, double) {
    return 0.8 + 0.01 * std::abs(conv - 3.5);
  });
  const auto imp2 = parameter_importance(seed_search_space(), by_conv, 0);
  EXPECT_GT(importance_of(imp2, "conv_activation"), 0.8);
  EXPECT_LT(importance_of(imp2, "learning_rate"), 0.05);
}

TEST(ParameterImportance, TwoParametersShareItAndTheThirdGetsNone) {
  // Additive: ±0.01 on conv (−1 for 2 of the 8 choices: variance 4 · 0.25 · 0.75 · 1e-4 =
  // 7.5e-5) plus 0.02 · log10 lr (uniform over 1.301 decades: 4e-4 · 1.301² / 12 = 5.64e-5),
  // so the exact shares are 0.571 and 0.429.
  const auto trials = trials_with(80, 21, [](double conv, double, double log_lr) {
    return 0.8 + 0.01 * (conv == 4 || conv == 0 ? -1.0 : 1.0) + 0.02 * (log_lr + 2.65);
  });
  const auto imp = parameter_importance(seed_search_space(), trials, 1);
  const double conv = importance_of(imp, "conv_activation");
  const double lr = importance_of(imp, "learning_rate");
  const double fc = importance_of(imp, "fc_activation");
  EXPECT_NEAR(conv, 0.571, 0.12);
  EXPECT_NEAR(lr, 0.429, 0.12);
  EXPECT_GT(conv + lr, 0.85);
  EXPECT_LT(fc, 0.05);
  EXPECT_LE(conv + lr + fc, 1.0 + 1e-9) << "main effects cannot explain more than everything";
}

TEST(ParameterImportance, DeterministicForASeedAndEmptyWithFewTrials) {
  const auto trials = synthetic_trials();
  const auto a = parameter_importance(seed_search_space(), trials, 7);
  const auto b = parameter_importance(seed_search_space(), trials, 7);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].importance, b[i].importance) << a[i].name;  // bit for bit
    EXPECT_GE(a[i].importance, 0.0);
  }
  const auto c = parameter_importance(seed_search_space(), trials, 8);
  bool differs = false;
  for (std::size_t i = 0; i < a.size(); ++i) differs |= a[i].importance != c[i].importance;
  EXPECT_TRUE(differs) << "another seed grows another forest";

  // PRUNED, FAIL and RUNNING trials are not used; fewer than 2 COMPLETE → empty.
  std::vector<Trial> few = trials_with(1, 3, [](double, double, double) { return 0.5; });
  Trial pruned = few[0];
  pruned.number = 1;
  pruned.state = TrialState::kPruned;
  few.push_back(pruned);
  EXPECT_TRUE(parameter_importance(seed_search_space(), few, 0).empty());
  EXPECT_TRUE(parameter_importance(seed_search_space(), {}, 0).empty());
}

TEST(ParameterImportance, ConstantObjectiveExplainsNothing) {
  const auto trials = trials_with(20, 4, [](double, double, double) { return 0.75; });
  const auto imp = parameter_importance(seed_search_space(), trials, 0);
  ASSERT_EQ(imp.size(), 3u);
  for (const Importance& i : imp) EXPECT_EQ(i.importance, 0.0) << i.name;
}

}  // namespace
