// The plotting module and the tutorials' figures: every figure renders to PNG and SVG, the
// PNG decodes (stb_image) at the requested size and is not blank, curves are drawn where
// the data → pixel transform puts them, and bad input gives the documented errors.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include "actlab/data/mnist.hpp"
#include "actlab/error.hpp"
#include "actlab/experiments.hpp"
#include "actlab/plot/figure.hpp"
#include "actlab/plot/figures.hpp"
#include "actlab/plot/picture.hpp"
#include "actlab/reference.hpp"
#include "support/test_support.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace actlab::plot {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("actlab_plot_test_" + std::to_string(getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

Picture decode(const std::string& bytes, const std::string& name) {
  return decode_picture({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, name);
}

// Darkness of the darkest pixel within `radius` of (x, y): 0 white … 255·3 black.
int darkest_near(const Picture& p, double x, double y, int radius = 2) {
  int best = 0;
  const int cx = static_cast<int>(std::lround(x)), cy = static_cast<int>(std::lround(y));
  for (int r = cy - radius; r <= cy + radius; ++r) {
    for (int c = cx - radius; c <= cx + radius; ++c) {
      if (r < 0 || c < 0 || r >= static_cast<int>(p.height) || c >= static_cast<int>(p.width)) {
        continue;
      }
      int dark = 0;
      for (std::size_t ch = 0; ch < 3; ++ch) {
        dark += 255 - p.at(static_cast<std::size_t>(r), static_cast<std::size_t>(c), ch);
      }
      best = std::max(best, dark);
    }
  }
  return best;
}

// PNG and SVG of a figure: decodes, right size, not blank; SVG looks like SVG with paths.
void expect_renders(const Figure& fig, const std::string& what) {
  SCOPED_TRACE(what);
  const Picture png = decode(fig.encode(Figure::Format::kPng), what + ".png");
  EXPECT_EQ(png.width, static_cast<std::size_t>(fig.width()));
  EXPECT_EQ(png.height, static_cast<std::size_t>(fig.height()));
  ASSERT_GE(png.channels, 3u);
  std::size_t inked = 0;
  std::set<std::uint32_t> colours;
  for (std::size_t r = 0; r < png.height; ++r) {
    for (std::size_t c = 0; c < png.width; ++c) {
      const std::uint32_t rgb = png.at(r, c, 0) << 16 | png.at(r, c, 1) << 8 | png.at(r, c, 2);
      colours.insert(rgb);
      inked += rgb != 0xffffff;
    }
  }
  EXPECT_GT(inked, png.width * png.height / 50) << "the PNG is (nearly) blank";
  EXPECT_GT(colours.size(), 20u) << "the PNG has almost no colours";
  const std::string svg = fig.encode(Figure::Format::kSvg);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("<path"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("width=\"" + std::to_string(fig.width()) + "px\""), std::string::npos)
      << svg.substr(0, 400);
}

bool have_fashion_mnist() {
  return fs::exists(fs::path(data::kDefaultMnistFolder) / "t10k-images-idx3-ubyte.gz") ||
         fs::exists(fs::path(data::kDefaultMnistFolder) / "t10k-images-idx3-ubyte");
}

// ---- the module ------------------------------------------------------------------------

TEST(NiceTicks, StepsOfOneTwoFiveInsideTheRange) {
  EXPECT_EQ(nice_ticks(-10, 10, 5), (std::vector<double>{-10, -5, 0, 5, 10}));
  EXPECT_EQ(nice_ticks(0, 1, 6), (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
  const auto t = nice_ticks(-0.37, 1.21, 6);
  ASSERT_FALSE(t.empty());
  EXPECT_GE(t.front(), -0.37);
  EXPECT_LE(t.back(), 1.21);
  EXPECT_EQ(nice_ticks(-0.46, 0.46, 4), (std::vector<double>{-0.4, -0.2, 0, 0.2, 0.4}))
      << "at least three ticks inside the range";
  EXPECT_EQ(tick_label(-5, 5), "\u22125");
  EXPECT_EQ(tick_label(0.6000000000000001, 0.2), "0.6");
  EXPECT_EQ(tick_label(0, 0.2), "0");
  EXPECT_EQ(tick_label(2.5e-7, 1e-7), "2.5e-07");
}

TEST(Figure, ReluCurvePassesThroughItsPointsInPixels) {
  // relu alone on fixed axes [−1, 3]², black, so "dark" can only be the curve or the frame.
  const Activation relu = Activation::parse("relu");
  std::vector<double> x, y;
  for (int k = 0; k <= 400; ++k) {
    x.push_back(-1 + k / 100.0);
    y.push_back(reference::forward(relu, x.back()));
  }
  Figure fig(400, 300);
  fig.panel(0).x_range(-1, 3).y_range(-1, 3).grid(false).line(x, y, "", {Color{0, 0, 0, 1}, 2});
  const Transform t = fig.transform(0);
  const Picture png = decode(fig.encode(Figure::Format::kPng), "relu");
  ASSERT_EQ(png.width, 400u);
  ASSERT_EQ(png.height, 300u);
  for (auto [px, py] : {std::pair{0.0, 0.0}, {2.0, 2.0}, {-0.5, 0.0}, {1.0, 1.0}, {2.9, 2.9}}) {
    EXPECT_GT(darkest_near(png, t.px(px), t.py(py)), 500)
        << "no curve pixel near data (" << px << ", " << py << ") = pixel (" << t.px(px) << ", "
        << t.py(py) << ")";
  }
  for (auto [px, py] : {std::pair{2.0, 0.5}, {0.0, 2.0}, {-0.5, 1.5}}) {
    EXPECT_EQ(darkest_near(png, t.px(px), t.py(py)), 0)
        << "ink off the curve at data (" << px << ", " << py << ")";
  }
}

TEST(Figure, SavesByExtensionAndNamesAnUnwritablePath) {
  Figure fig(200, 150);
  fig.panel(0).line({0, 1}, {0, 1});
  for (const char* name : {"a.png", "a.svg", "a.pdf"}) {
    const fs::path path = temp_dir() / name;
    fig.save(path.string());
    EXPECT_GT(fs::file_size(path), 100u) << name;
  }
  try {
    fig.save("/nonexistent-dir/figure.png");
    FAIL() << "no error for an unwritable path";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/figure.png"), std::string::npos)
        << e.what();
  }
  try {
    fig.save((temp_dir() / "figure.jpg").string());
    FAIL() << "no error for .jpg";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
  }
}

TEST(Figure, EveryKindOfSeriesRenders) {
  Figure fig(900, 600, 2, 2);
  fig.title("all kinds");
  fig.panel(0).title("lines").x_label("x").y_label("y").line({0, 1, 2}, {0, 1, 0}, "a").line(
      {0, 1, 2}, {1, 0, 1}, "b", {{}, 2, true});
  fig.panel(1).title("scatter").scatter({0, 1, 2, 3}, {3, 1, 2, 0}, "points");
  fig.panel(2).title("bars").bars({"one", "two", "three"}, {3, 5, 2}, "count");
  Image img;
  img.rows = 10;
  img.cols = 20;
  for (std::size_t i = 0; i < 200; ++i) img.values.push_back(static_cast<double>(i));
  img.map = ColorMap::kViridis;
  img.show_colorbar = true;
  img.colorbar = "value";
  fig.panel(3).title("heat map").image(img);
  expect_renders(fig, "all kinds");
  EXPECT_THROW(Panel().line({0, 1}, {0}), Error);
  EXPECT_THROW(Figure(0, 10), Error);
}

// ---- pictures --------------------------------------------------------------------------

TEST(Picture, ReadsPngAndJpegAndNamesBadFiles) {
  std::vector<std::uint8_t> rgb(16 * 8 * 3);
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<std::uint8_t>(i * 7);
  const std::string png = (temp_dir() / "p.png").string(), jpg = (temp_dir() / "p.jpg").string();
  ASSERT_NE(stbi_write_png(png.c_str(), 16, 8, 3, rgb.data(), 16 * 3), 0);
  ASSERT_NE(stbi_write_jpg(jpg.c_str(), 16, 8, 3, rgb.data(), 95), 0);
  const Picture a = read_picture(png);
  EXPECT_EQ(a.width, 16u);
  EXPECT_EQ(a.height, 8u);
  EXPECT_EQ(a.channels, 3u);
  EXPECT_EQ(a.pixels, rgb);
  const Picture b = read_picture(jpg);
  EXPECT_EQ(b.width, 16u);
  EXPECT_EQ(b.height, 8u);

  try {
    read_picture("/nonexistent/picture.png");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/picture.png"), std::string::npos);
  }
  const std::string junk = (temp_dir() / "junk.png").string();
  std::ofstream(junk) << "this is not a picture";
  try {
    read_picture(junk);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_NE(std::string(e.what()).find(junk), std::string::npos) << e.what();
  }
}

// ---- the tutorials' figures ------------------------------------------------------------

TEST(Figures, FunctionFigureDrawsFAndItsDerivative) {
  const Figure fig = function_figure(Activation::parse("relu"));
  expect_renders(fig, "plot relu");
  const Picture png = decode(fig.encode(Figure::Format::kPng), "relu");
  const Transform f = fig.transform(0), d = fig.transform(1);
  for (double x : {-8.0, 0.0, 2.0, 5.0, 9.0}) {
    EXPECT_GT(darkest_near(png, f.px(x), f.py(std::max(x, 0.0))), 150) << "f at x = " << x;
  }
  EXPECT_GT(darkest_near(png, d.px(5), d.py(1)), 150) << "f' = 1 at x = 5";
  EXPECT_GT(darkest_near(png, d.px(-5), d.py(0)), 150) << "f' = 0 at x = −5";
  // Only the light grid line at x = 5 (darkness 3·(255 − 224) = 93) may be there.
  EXPECT_LT(darkest_near(png, d.px(5), d.py(0.5)), 100) << "f' has nothing at (5, 0.5)";
  EXPECT_THROW(function_figure(Activation::parse("softmax")), Error);
  EXPECT_THROW(function_figure(Activation::parse("relu"), 1, -1), Error);
}

TEST(Figures, CompareDerivativeLessonAndRegionsRender) {
  expect_renders(compare_figure({Activation::parse("relu"), Activation::parse("silu"),
                                 Activation::parse("gelu")}),
                 "compare");
  expect_renders(derivative_lesson_figure(), "derivative lesson");
  const Figure regions = regions_figure(1);
  EXPECT_EQ(regions.panel_count(), 15u) << "perceptron + 4 networks, × AND/OR/XOR";
  expect_renders(regions, "regions");
  expect_renders(regions_figure(1, false), "perceptron regions");
  expect_renders(approx_figure(1, 100), "approx");
}

TEST(Figures, RegionMapsShowEachNetworksOutputWhereItIs) {
  // Hidden-sigmoid on XOR (row 3, column 2): the pixel at data (x1, x2) has the colour map's
  // colour for the network's output at that grid point (vmin −0.25, vmax 1.25).
  const Figure fig = regions_figure(1);
  const Picture png = decode(fig.encode(Figure::Format::kPng), "regions");
  const Transform t = fig.transform(3 * 3 + 2);
  const auto net = experiments::train_gate_model(experiments::GateModel::kHiddenSigmoid,
                                                 experiments::Gate::kXor, 1, 1000, 101);
  for (auto [gx, gy] : {std::pair{85, 15}, {85, 85}, {50, 50}, {20, 70}}) {
    const double x = gx / 100.0, y = gy / 100.0;
    const double out = net.regions[static_cast<std::size_t>(gy * 101 + gx)];
    const Color want = color_at(ColorMap::kBlueRed, (out + 0.25) / 1.5);
    const auto r = static_cast<std::size_t>(std::lround(t.py(y)));
    const auto c = static_cast<std::size_t>(std::lround(t.px(x)));
    EXPECT_NEAR(png.at(r, c, 0), want.r * 255, 4) << "red at (" << x << ", " << y << ") output " << out;
    EXPECT_NEAR(png.at(r, c, 1), want.g * 255, 4) << "green at (" << x << ", " << y << ")";
    EXPECT_NEAR(png.at(r, c, 2), want.b * 255, 4) << "blue at (" << x << ", " << y << ")";
  }
  // It solves XOR: (1, 0) fires, (1, 1) does not.
  EXPECT_GT(net.regions[100], 0.5);
  EXPECT_LT(net.regions[101 * 101 - 1], 0.5);
}

TEST(Figures, TrainingCurvesRender) {
  nn::TrainResult r;
  for (std::size_t e = 1; e <= 12; ++e) {
    const double t = static_cast<double>(e);
    r.history.push_back({e, 2.0 / t, 1 - 0.5 / t, 2.2 / t + 0.01 * t, 1 - 0.6 / t, 0.1});
  }
  r.best_epoch = 9;
  expect_renders(training_figure(r, "synthetic run"), "training curves");
  r.history.resize(1);
  expect_renders(training_figure(r, "one epoch"), "one epoch");
  EXPECT_THROW(training_figure(nn::TrainResult{}, "empty"), Error);
}

TEST(Figures, DerivativeLessonShowsTheRoundOff) {
  const DerivativeLesson d = derivative_lesson();
  ASSERT_EQ(d.x.size(), 1001u);
  EXPECT_DOUBLE_EQ(d.x[500], 0.0);
  // EXPERIMENTS.md §4: 0.2220446 at x = 0 with h = 1e-15 (σ(h) − σ(0) rounds to 2·2⁻⁵³).
  EXPECT_NEAR(d.tiny_h[500], 0.2220446, 5e-8);
  double worst_sane = 0, worst_tiny = 0;
  for (std::size_t i = 0; i < d.x.size(); ++i) {
    worst_sane = std::max(worst_sane, std::abs(d.sane_h[i] - d.analytic[i]));
    worst_tiny = std::max(worst_tiny, std::abs(d.tiny_h[i] - d.analytic[i]));
  }
  // h = 1e-6 leaves the truncation error h/2·max|σ″| ≈ 4.8e-8 (below 1e-8 only near x = 0).
  EXPECT_LT(worst_sane, 5e-8);
  EXPECT_LT(std::abs(d.sane_h[500] - d.analytic[500]), 1e-8);
  EXPECT_GT(worst_tiny, 1e-2);
}

TEST(Figures, ViewHasSixPanelsWithAFashionMnistDefault) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "no Fashion-MNIST in " << data::kDefaultMnistFolder;
  const Picture boot = fashion_mnist_picture(data::kDefaultMnistFolder, 0);
  EXPECT_EQ(boot.width, 28u);
  EXPECT_EQ(boot.height, 28u);
  const Figure fig = view_figure(Activation::parse("tanh"), boot, "Fashion-MNIST test image 0");
  EXPECT_EQ(fig.panel_count(), 6u);
  expect_renders(fig, "view tanh");
}

// ---- through the CLI -------------------------------------------------------------------

TEST(PlotCli, WritesEveryFigureAndPrintsThePath) {
  const std::string dir = temp_dir().string();
  std::vector<std::string> commands = {
      "plot relu --out " + dir + "/relu.png",
      "plot leaky_relu -p negative_slope=0.2 --range=-3,3 --out " + dir + "/leaky.svg",
      "plot --compare relu,silu,gelu --out " + dir + "/compare.png",
      "plot --derivative-lesson --out " + dir + "/lesson.svg",
      "plot-derivative --out " + dir + "/lesson.png",
      "plot-regions --out " + dir + "/regions.png",
      "plot-regions --perceptron-only --seed 3 --out " + dir + "/perceptron.svg",
      "plot-approx --out " + dir + "/approx.png",
      "view relu --image " + dir + "/relu.png --out " + dir + "/view_photo.png",
  };
  if (have_fashion_mnist()) commands.push_back("view gelu --out " + dir + "/view.svg");
  for (const std::string& c : commands) {
    const auto r = test::run_cli(c);
    EXPECT_EQ(r.exit_code, 0) << "actlab " << c << "\n" << r.err;
    const std::string path = c.substr(c.rfind(' ') + 1);
    EXPECT_NE(r.out.find("wrote " + path), std::string::npos) << r.out;
    EXPECT_TRUE(fs::exists(path)) << path;
  }
  const Picture written = read_picture(dir + "/relu.png");
  EXPECT_EQ(written.width, 1000u);
  EXPECT_EQ(written.height, 440u);
}

TEST(PlotCli, BadInputGivesDocumentedExitCodes) {
  const std::string dir = temp_dir().string();
  auto r = test::run_cli("plot rleu --out " + dir + "/x.png");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("relu"), std::string::npos) << r.err;
  r = test::run_cli("plot relu --out /nonexistent-dir/relu.png");
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("/nonexistent-dir/relu.png"), std::string::npos) << r.err;
  r = test::run_cli("view relu --image /nonexistent-dir/cat.jpg --out " + dir + "/v.png");
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("/nonexistent-dir/cat.jpg"), std::string::npos) << r.err;
  const std::string junk = dir + "/junk.jpg";
  std::ofstream(junk) << "not a jpeg";
  r = test::run_cli("view relu --image " + junk + " --out " + dir + "/v.png");
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.err.find(junk), std::string::npos) << r.err;
  r = test::run_cli("plot relu --out " + dir + "/relu.jpg");
  EXPECT_EQ(r.exit_code, 5) << r.err;
  r = test::run_cli("plot softmax --out " + dir + "/s.png");
  EXPECT_EQ(r.exit_code, 5) << r.err;
  r = test::run_cli("plot relu --range 3 --out " + dir + "/s.png");
  EXPECT_EQ(r.exit_code, 5) << r.err;
}

}  // namespace
}  // namespace actlab::plot
