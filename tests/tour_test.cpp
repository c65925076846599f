// actlab tour (docs/tour.md): the page is written, every image it references exists and
// decodes as PNG, the HTML is well formed, --lang ko is in Korean, a headless Chromium loads
// it with every image and takes a screenshot, and bad input gives clear errors.
#include "actlab/report/tour.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "actlab/plot/picture.hpp"
#include "support/html_pages.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using actlab::test::run_cli;
using actlab::test::run_command;
using namespace actlab::test;  // support/html_pages.hpp

namespace {

// A stable place next to the build's bin/ folder, so that the screenshot outlives the test.
// One folder per test process: CTest runs each test of this file as its own process, in
// parallel, and each writes the tour in SetUpTestSuite.
fs::path tour_dir() {
  return fs::path(ACTLAB_CLI_PATH).parent_path().parent_path() /
         ("tour-test-" + std::to_string(getpid()));
}

// Checks the HTML with Python's html.parser: balanced html/head/body/main/section/...,
// one <h1>, no '<' in text, the image sources, no external resources.
const char* kChecker = R"PY(
import json, sys
from html.parser import HTMLParser
VOID = {"meta", "img", "br", "link", "input", "hr", "wbr", "source"}
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)  # "&lt;" stays out of the data
        self.stack, self.errors, self.imgs, self.h1, self.charset, self.external = [], [], [], 0, False, []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "h1": self.h1 += 1
        if tag == "img": self.imgs.append(a.get("src", ""))
        if tag == "meta" and a.get("charset", "").lower() == "utf-8": self.charset = True
        for k in ("src", "href"):
            v = a.get(k) or ""
            if v.startswith(("http:", "https:", "//", "file:")): self.external.append(v)
        if tag not in VOID: self.stack.append(tag)
    def handle_endtag(self, tag):
        if tag in VOID: return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("unbalanced </%s> (open: %s)" % (tag, "/".join(self.stack[-4:])))
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag: pass
        else:
            self.stack.pop()
    def handle_data(self, data):
        if "<" in data and (not self.stack or self.stack[-1] not in ("script", "style")):
            self.errors.append("unescaped '<' in text: %r" % data[:60])
p = P()
text = open(sys.argv[1], encoding="utf-8").read()
p.feed(text); p.close()
if p.stack: p.errors.append("unclosed: " + "/".join(p.stack))
if "<" in p.rawdata: p.errors.append("unparsed text left: %r" % p.rawdata[:60])
print(json.dumps({"errors": p.errors, "imgs": p.imgs, "h1": p.h1, "charset": p.charset,
                  "external": p.external, "doctype": text.lstrip().lower().startswith("<!doctype html>")}))
)PY";

nlohmann::json check_html(const fs::path& page) { return run_page_checker(page, kChecker); }

class TourTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::remove_all(tour_dir());
    result_ = new actlab::test::ProcessResult(
        run_cli("tour --quick --out " + quote(tour_dir().string())));
  }
  static void TearDownTestSuite() {
    delete result_;
    result_ = nullptr;
    // Kept when something failed, for a look at the page.
    if (!::testing::UnitTest::GetInstance()->Failed()) fs::remove_all(tour_dir());
  }
  static actlab::test::ProcessResult* result_;
};
actlab::test::ProcessResult* TourTest::result_ = nullptr;

TEST_F(TourTest, WritesThePageAndSaysWhere) {
  ASSERT_EQ(result_->exit_code, 0) << result_->err;
  const fs::path page = tour_dir() / "index.html";
  ASSERT_TRUE(fs::exists(page));
  EXPECT_NE(result_->out.find("wrote " + page.string()), std::string::npos) << result_->out;
  const std::string html = read_text(page);
  for (const char* id :
       {"nonlinearity", "perceptron", "activations", "derivative", "approx", "cnn"}) {
    EXPECT_NE(html.find(std::string("<section id=\"") + id + "\""), std::string::npos) << id;
  }
  // The seeds' mistakes are corrected on the page.
  EXPECT_NE(html.find("2σ(2x) − 1"), std::string::npos);
  EXPECT_NE(html.find("τ(x − y) = τ(x) − τ(y)"), std::string::npos);
  EXPECT_NE(html.find("1.4612"), std::string::npos);
  EXPECT_NE(html.find("tanh after the fully connected layer"), std::string::npos);
}

TEST_F(TourTest, HtmlIsWellFormedAndEveryImageIsAPng) {
  ASSERT_EQ(result_->exit_code, 0) << result_->err;
  const fs::path page = tour_dir() / "index.html";
  const nlohmann::json j = check_html(page);
  EXPECT_TRUE(j["errors"].empty()) << j["errors"].dump(2);
  EXPECT_EQ(j["h1"], 1);
  EXPECT_TRUE(j["charset"].get<bool>());
  EXPECT_TRUE(j["doctype"].get<bool>());
  EXPECT_TRUE(j["external"].empty()) << j["external"].dump();
  ASSERT_GE(j["imgs"].size(), 12u);
  for (const auto& src : j["imgs"]) {
    const std::string name = src.get<std::string>();
    // Relative, inside the tour's folder (the study's report is its study/ subfolder).
    EXPECT_NE(name.front(), '/') << name;
    EXPECT_EQ(name.find(".."), std::string::npos) << name;
    EXPECT_EQ(name.find(':'), std::string::npos) << name;
    const fs::path image = tour_dir() / name;
    ASSERT_TRUE(fs::exists(image)) << name;
    EXPECT_EQ(read_text(image).substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << name;
    const actlab::plot::Picture pic = actlab::plot::read_picture(image.string());
    EXPECT_GT(pic.width, 100u) << name;
    EXPECT_GT(pic.height, 100u) << name;
  }
}

TEST_F(TourTest, ChromiumLoadsEveryImageAndTakesAScreenshot) {
  ASSERT_EQ(result_->exit_code, 0) << result_->err;
  const auto which = run_command("command -v chromium");
  ASSERT_EQ(which.exit_code, 0) << "chromium is not installed (scripts/setup.sh installs it)";
  const fs::path page = tour_dir() / "index.html";

  // A test-only copy that counts, after loading, the images that failed.
  const fs::path probe = tour_dir() / "probe.html";
  const std::string html = with_image_probe(read_text(page));
  ASSERT_FALSE(html.empty()) << "no </body> in " << page;
  write_text(probe, html);
  const auto dom = run_command(chromium_command(
      "--enable-logging=stderr --v=0 --virtual-time-budget=10000 --dump-dom", probe));
  fs::remove(probe);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  const nlohmann::json j = check_html(page);
  const std::string expected =
      "<title>IMAGES " + std::to_string(j["imgs"].size()) + " BROKEN 0</title>";
  EXPECT_NE(dom.out.find(expected), std::string::npos)
      << "expected " << expected << " in the DOM; stderr:\n"
      << dom.err.substr(0, 2000);
  EXPECT_EQ(dom.err.find("ERR_FILE_NOT_FOUND"), std::string::npos) << dom.err.substr(0, 2000);

  // The screenshot: it exists, has the window's size and is not blank.
  const fs::path shot = tour_dir() / "screenshot.png";
  fs::remove(shot);
  const auto r = run_command(
      chromium_command("--screenshot=" + quote(shot.string()) + " --window-size=1200,3000", page));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(shot)) << r.err;
  const actlab::plot::Picture pic = actlab::plot::read_picture(shot.string());
  EXPECT_EQ(pic.width, 1200u);
  EXPECT_EQ(pic.height, 3000u);
  std::size_t dark = 0, distinct_rows = 0;
  for (std::size_t y = 0; y < pic.height; ++y) {
    bool row_has_ink = false;
    for (std::size_t x = 0; x < pic.width; ++x) {
      if (pic.at(y, x, 0) < 128) {
        ++dark;
        row_has_ink = true;
      }
    }
    distinct_rows += row_has_ink ? 1 : 0;
  }
  EXPECT_GT(dark, 20000u) << "the screenshot looks blank";
  EXPECT_GT(distinct_rows, 600u) << "the screenshot looks blank";
  std::cout << "screenshot: " << shot.string() << "\n";
}

TEST(TourKorean, PageTextIsKorean) {
  const fs::path dir = fs::temp_directory_path() / "actlab_tour_ko";
  fs::remove_all(dir);
  const auto r = run_cli("tour --quick --lang ko --out " + quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = read_text(dir / "index.html");
  EXPECT_NE(html.find("<html lang=\"ko\">"), std::string::npos);
  EXPECT_NE(html.find("활성화 함수"), std::string::npos);
  EXPECT_NE(html.find("바로잡기"), std::string::npos);
  // Hangul syllables (U+AC00–U+D7A3) are 3-byte UTF-8 sequences starting 0xEA–0xED.
  std::size_t hangul = 0;
  for (std::size_t i = 0; i + 2 < html.size(); ++i) {
    const auto b = static_cast<unsigned char>(html[i]);
    if (b >= 0xEA && b <= 0xED) ++hangul;
  }
  EXPECT_GT(hangul, 1000u);
  const nlohmann::json j = check_html(dir / "index.html");
  EXPECT_TRUE(j["errors"].empty()) << j["errors"].dump(2);
  fs::remove_all(dir);
}

TEST(TourErrors, UnwritableFolderIsExit6) {
  // A folder below a regular file cannot be created, even by root.
  const fs::path file = fs::temp_directory_path() / "actlab_tour_not_a_folder";
  write_text(file, "x");
  const auto r = run_cli("tour --quick --out " + quote((file / "tour").string()));
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find((file / "tour").string()), std::string::npos) << r.err;
  fs::remove(file);
}

TEST(TourErrors, UnknownLanguageIsExit4) {
  const auto r = run_cli("tour --quick --lang fr --out " +
                         quote((fs::temp_directory_path() / "actlab_tour_fr").string()));
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("--lang"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(fs::temp_directory_path() / "actlab_tour_fr" / "index.html"));
}

TEST(TourHtml, EscapesText) {
  EXPECT_EQ(actlab::report::html_escape("a < b & \"c\" > 'd'"),
            "a &lt; b &amp; &quot;c&quot; &gt; &#39;d&#39;");
}

}  // namespace
