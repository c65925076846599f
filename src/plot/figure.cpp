// The Cairo renderer behind actlab::plot: layout, axes, series, legend, colour bar, and
// encoding to PNG, SVG or PDF.
#include "actlab/plot/figure.hpp"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <numbers>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <utility>

#include "actlab/error.hpp"

namespace actlab::plot {

// ---- colours ----------------------------------------------------------------------------

Color palette(std::size_t index) {
  // Okabe & Ito, "Color Universal Design" (2008): blue, vermilion, bluish green, orange,
  // reddish purple, sky blue, yellow (darkened for white backgrounds), black.
  static constexpr double kColours[][3] = {
      {0.000, 0.447, 0.698}, {0.835, 0.369, 0.000}, {0.000, 0.620, 0.451},
      {0.902, 0.624, 0.000}, {0.800, 0.475, 0.655}, {0.337, 0.706, 0.914},
      {0.780, 0.690, 0.000}, {0.000, 0.000, 0.000}};
  const auto& c = kColours[index % 8];
  return {c[0], c[1], c[2], 1.0};
}

Color color_at(ColorMap map, double t) {
  if (std::isnan(t)) return {1, 1, 1, 0};
  t = std::clamp(t, 0.0, 1.0);
  switch (map) {
    case ColorMap::kGray:
      return {t, t, t, 1};
    case ColorMap::kViridis: {
      // matplotlib's viridis sampled at 0, 1/8, …, 1, linearly interpolated.
      static constexpr double kViridis[][3] = {
          {0.267, 0.005, 0.329}, {0.283, 0.141, 0.458}, {0.254, 0.265, 0.530},
          {0.207, 0.372, 0.553}, {0.164, 0.471, 0.558}, {0.128, 0.567, 0.551},
          {0.135, 0.659, 0.518}, {0.267, 0.749, 0.441}, {0.478, 0.821, 0.318},
          {0.741, 0.873, 0.150}, {0.993, 0.906, 0.144}};
      const double s = t * 10;
      const auto i = std::min<std::size_t>(static_cast<std::size_t>(s), 9);
      const double f = s - static_cast<double>(i);
      return {kViridis[i][0] + f * (kViridis[i + 1][0] - kViridis[i][0]),
              kViridis[i][1] + f * (kViridis[i + 1][1] - kViridis[i][1]),
              kViridis[i][2] + f * (kViridis[i + 1][2] - kViridis[i][2]), 1};
    }
    case ColorMap::kBlueRed: {
      // ColorBrewer RdBu ends (reversed): 0 blue, 0.5 white, 1 red.
      const Color blue{0.129, 0.400, 0.674, 1}, white{0.97, 0.97, 0.97, 1},
          red{0.698, 0.094, 0.169, 1};
      const Color& a = t < 0.5 ? blue : white;
      const Color& b = t < 0.5 ? white : red;
      const double f = t < 0.5 ? t * 2 : (t - 0.5) * 2;
      return {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b), 1};
    }
  }
  return {0, 0, 0, 1};
}

// ---- ticks ------------------------------------------------------------------------------

namespace {
double tick_step(double lo, double hi, std::size_t target) {
  const double raw = (hi - lo) / static_cast<double>(std::max<std::size_t>(target, 2) - 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / magnitude;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * magnitude;
}
}  // namespace

std::vector<double> nice_ticks(double lo, double hi, std::size_t target) {
  if (lo > hi) std::swap(lo, hi);
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
  double step = tick_step(lo, hi, target);
  std::vector<double> ticks;
  for (int attempt = 0; attempt < 4; ++attempt) {
    const double first = std::ceil(lo / step - 1e-9), last = std::floor(hi / step + 1e-9);
    ticks.clear();
    for (double k = first; k <= last; k += 1) {
      const double v = k * step;
      ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    }
    if (ticks.size() >= std::min<std::size_t>(3, target)) break;
    // Too few inside the range (e.g. [−0.46, 0.46] with step 0.5): the next smaller nice step.
    const double magnitude = std::pow(10.0, std::floor(std::log10(step) + 1e-9));
    const double f = std::round(step / magnitude);
    step = (f == 1 ? 0.5 : f == 2 ? 1 : 2) * magnitude;
  }
  return ticks;
}

std::string tick_label(double value, double step) {
  if (value == 0) return "0";
  char buffer[64];
  const double a = std::abs(value);
  if (a >= 1e5 || a < 1e-4) {
    std::snprintf(buffer, sizeof buffer, "%g", value);
  } else {
    const int decimals =
        std::max(0, static_cast<int>(-std::floor(std::log10(std::abs(step)) + 1e-9)));
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  }
  std::string s = buffer;
  if (!s.empty() && s[0] == '-') s = "\u2212" + s.substr(1);
  return s;
}

// ---- panel ------------------------------------------------------------------------------

Panel& Panel::title(std::string text) { title_ = std::move(text); return *this; }
Panel& Panel::x_label(std::string text) { x_label_ = std::move(text); return *this; }
Panel& Panel::y_label(std::string text) { y_label_ = std::move(text); return *this; }
Panel& Panel::x_range(double lo, double hi) { x_range_ = Range{lo, hi}; return *this; }
Panel& Panel::y_range(double lo, double hi) { y_range_ = Range{lo, hi}; return *this; }
Panel& Panel::grid(bool on) { grid_ = on; return *this; }
Panel& Panel::zero_lines(bool on) { zero_lines_ = on; return *this; }
Panel& Panel::legend(LegendPlace place) { legend_ = place; return *this; }
Panel& Panel::equal_aspect(bool on) { equal_aspect_ = on; return *this; }

Color Panel::next_color() { return palette(colour_index_++); }

Panel& Panel::line(std::vector<double> x, std::vector<double> y, std::string label,
                   LineStyle style) {
  if (x.size() != y.size()) {
    throw Error(ErrorCode::kInvalidArgument, "line series '" + label + "': " +
                                                 std::to_string(x.size()) + " x values but " +
                                                 std::to_string(y.size()) + " y values");
  }
  const Color c = style.color ? *style.color : next_color();
  lines_.push_back({std::move(x), std::move(y), std::move(label), style, c});
  return *this;
}

Panel& Panel::scatter(std::vector<double> x, std::vector<double> y, std::string label,
                      ScatterStyle style) {
  if (x.size() != y.size()) {
    throw Error(ErrorCode::kInvalidArgument, "scatter series '" + label + "': " +
                                                 std::to_string(x.size()) + " x values but " +
                                                 std::to_string(y.size()) + " y values");
  }
  const Color c = style.color ? *style.color : next_color();
  scatters_.push_back({std::move(x), std::move(y), std::move(label), std::move(style), c});
  return *this;
}

Panel& Panel::histogram(const std::vector<double>& values, std::size_t bins, std::string label,
                        std::optional<Color> color) {
  if (bins == 0) throw Error(ErrorCode::kInvalidArgument, "a histogram needs at least one bin");
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (!(lo <= hi)) lo = 0, hi = 1;
  if (lo == hi) lo -= 0.5, hi += 0.5;
  std::vector<double> counts(bins, 0.0);
  const double width = (hi - lo) / static_cast<double>(bins);
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    const auto b = std::min(bins - 1, static_cast<std::size_t>((v - lo) / width));
    counts[b] += 1;
  }
  BarGroup g{{}, std::move(label), color ? *color : next_color()};
  for (std::size_t b = 0; b < bins; ++b) {
    g.bars.push_back({lo + width * static_cast<double>(b),
                      lo + width * static_cast<double>(b + 1), counts[b]});
  }
  bar_groups_.push_back(std::move(g));
  return *this;
}

Panel& Panel::bars(std::vector<std::string> categories, std::vector<double> heights,
                   std::string label, std::optional<Color> color) {
  if (categories.size() != heights.size()) {
    throw Error(ErrorCode::kInvalidArgument, "bar chart: " + std::to_string(categories.size()) +
                                                 " categories but " +
                                                 std::to_string(heights.size()) + " heights");
  }
  BarGroup g{{}, std::move(label), color ? *color : next_color()};
  for (std::size_t i = 0; i < heights.size(); ++i) {
    g.bars.push_back({static_cast<double>(i) - 0.4, static_cast<double>(i) + 0.4, heights[i]});
  }
  categories_ = std::move(categories);
  bar_groups_.push_back(std::move(g));
  return *this;
}

Panel& Panel::image(Image img) {
  if (img.values.size() != img.rows * img.cols || img.rows == 0 || img.cols == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "image: " + std::to_string(img.values.size()) + " values for " +
                    std::to_string(img.rows) + " × " + std::to_string(img.cols) + " pixels");
  }
  if (!img.extent) {
    const double rows = static_cast<double>(img.rows), cols = static_cast<double>(img.cols);
    // (x left, x right, y bottom, y top): a picture's row 0 is y = 0 at the top.
    img.extent = img.origin_lower ? std::array<double, 4>{0, cols, 0, rows}
                                  : std::array<double, 4>{0, cols, rows, 0};
  }
  if (!img.vmin || !img.vmax) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (double v : img.values) {
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (!(lo <= hi)) lo = 0, hi = 1;
    if (!img.vmin) img.vmin = lo;
    if (!img.vmax) img.vmax = hi;
  }
  images_.push_back(std::move(img));
  return *this;
}

Panel& Panel::text(double x, double y, std::string content) {
  labels_.push_back({x, y, std::move(content)});
  return *this;
}

bool Panel::has_colorbar() const {
  return std::any_of(images_.begin(), images_.end(),
                     [](const Image& i) { return i.show_colorbar; });
}

namespace {
struct Extent {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  bool empty() const { return !(lo <= hi); }
};

Range finish(Extent e, double margin_lo, double margin_hi) {
  if (e.empty()) return {0, 1};
  if (e.lo == e.hi) {
    const double d = e.lo == 0 ? 0.5 : std::abs(e.lo) * 0.1;
    return {e.lo - d, e.hi + d};
  }
  const double span = e.hi - e.lo;
  return {e.lo - span * margin_lo, e.hi + span * margin_hi};
}
}  // namespace

Range Panel::data_x_range() const {
  if (x_range_) return *x_range_;
  if (!images_.empty() && lines_.empty() && scatters_.empty() && bar_groups_.empty()) {
    return {(*images_.front().extent)[0], (*images_.front().extent)[1]};
  }
  Extent e;
  for (const Line& l : lines_) for (double v : l.x) e.add(v);
  for (const BarGroup& g : bar_groups_) for (const Bar& b : g.bars) e.add(b.x0), e.add(b.x1);
  for (const Image& i : images_) e.add((*i.extent)[0]), e.add((*i.extent)[1]);
  Extent s;
  for (const Scatter& sc : scatters_) for (double v : sc.x) s.add(v), e.add(v);
  const bool only_scatter = lines_.empty() && bar_groups_.empty() && images_.empty();
  return finish(e, only_scatter ? 0.05 : 0, only_scatter ? 0.05 : 0);
}

Range Panel::data_y_range() const {
  if (y_range_) return *y_range_;
  if (!images_.empty() && lines_.empty() && scatters_.empty() && bar_groups_.empty()) {
    return {(*images_.front().extent)[2], (*images_.front().extent)[3]};
  }
  Extent e;
  for (const Line& l : lines_) for (double v : l.y) e.add(v);
  for (const Scatter& sc : scatters_) for (double v : sc.y) e.add(v);
  for (const Image& i : images_) e.add((*i.extent)[2]), e.add((*i.extent)[3]);
  if (!bar_groups_.empty()) {
    for (const BarGroup& g : bar_groups_) for (const Bar& b : g.bars) e.add(b.height);
    e.add(0);
    if (e.lo >= 0 && lines_.empty() && scatters_.empty()) return finish(e, 0, 0.05);
  }
  return finish(e, 0.05, 0.05);
}

// ---- figure layout ----------------------------------------------------------------------

namespace {
constexpr const char* kFont = "DejaVu Sans";
constexpr double kTickFont = 12, kLabelFont = 13, kTitleFont = 14, kFigureTitleFont = 17;
constexpr double kFigureTitleBand = 34;
constexpr double kColorbarGap = 14, kColorbarWidth = 14, kColorbarBand = 80;
const Color kInk{0.15, 0.15, 0.15, 1}, kAxis{0.35, 0.35, 0.35, 1}, kGrid{0.88, 0.88, 0.88, 1};
}  // namespace

Figure::Figure(int width, int height, std::size_t rows, std::size_t cols)
    : width_(width), height_(height), rows_(rows), cols_(cols), panels_(rows * cols) {
  if (width < 16 || height < 16 || rows == 0 || cols == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "a figure needs at least 16 × 16 pixels and one panel (got " +
                    std::to_string(width) + " × " + std::to_string(height) + ", " +
                    std::to_string(rows) + " × " + std::to_string(cols) + " panels)");
  }
}

Figure& Figure::title(std::string text) { title_ = std::move(text); return *this; }

Panel& Figure::panel(std::size_t row, std::size_t col) {
  if (row >= rows_ || col >= cols_) {
    throw Error(ErrorCode::kInvalidArgument, "panel (" + std::to_string(row) + ", " +
                                                 std::to_string(col) + ") outside a " +
                                                 std::to_string(rows_) + " × " +
                                                 std::to_string(cols_) + " figure");
  }
  return panels_[row * cols_ + col];
}

Panel& Figure::panel(std::size_t index) { return panel(index / cols_, index % cols_); }

Transform Figure::transform(std::size_t index) const {
  const Panel& p = panels_.at(index);
  const double band = title_.empty() ? 0 : kFigureTitleBand;
  const double cell_w = static_cast<double>(width_) / static_cast<double>(cols_);
  const double cell_h = (static_cast<double>(height_) - band) / static_cast<double>(rows_);
  const double cx = cell_w * static_cast<double>(index % cols_);
  const double cy = band + cell_h * static_cast<double>(index / cols_);
  const double left = 58 + (p.y_label_.empty() ? 0 : 22);
  const double right = 18 + (p.has_colorbar() ? kColorbarBand : 0);
  const double top = 14 + (p.title_.empty() ? 0 : 26);
  const double bottom = 30 + (p.x_label_.empty() ? 0 : 22);
  Transform t;
  t.x = p.data_x_range();
  t.y = p.data_y_range();
  double x0 = cx + left, x1 = std::max(cx + left + 10, cx + cell_w - right);
  double y0 = cy + top, y1 = std::max(cy + top + 10, cy + cell_h - bottom);
  if (p.equal_aspect_) {
    const double xs = std::abs(t.x.hi - t.x.lo), ys = std::abs(t.y.hi - t.y.lo);
    const double scale = std::min((x1 - x0) / xs, (y1 - y0) / ys);
    const double dx = (x1 - x0 - xs * scale) / 2, dy = (y1 - y0 - ys * scale) / 2;
    x0 += dx, x1 -= dx, y0 += dy, y1 -= dy;
  }
  // Whole pixels, so that 1-pixel frame lines are crisp.
  t.left = std::round(x0);
  t.right = std::round(x1);
  t.top = std::round(y0);
  t.bottom = std::round(y1);
  return t;
}

// ---- rendering --------------------------------------------------------------------------

namespace {

void set_color(cairo_t* cr, const Color& c) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a); }

void set_font(cairo_t* cr, double size, bool bold = false) {
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

double text_width(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

// Draws `s` with its anchor at (x, y): ha 0 left, 0.5 centre, 1 right; va 0 top,
// 0.5 middle, 1 bottom (by the font's ascent and descent, so rows of labels line up).
void draw_text(cairo_t* cr, const std::string& s, double x, double y, double ha, double va) {
  cairo_font_extents_t fe;
  cairo_font_extents(cr, &fe);
  const double w = text_width(cr, s);
  const double h = fe.ascent + fe.descent;
  cairo_move_to(cr, x - w * ha, y - h * va + fe.ascent);
  cairo_show_text(cr, s.c_str());
}

void draw_marker(cairo_t* cr, Marker m, double x, double y, double r) {
  if (m == Marker::kSquare) {
    cairo_rectangle(cr, x - r, y - r, 2 * r, 2 * r);
  } else {
    cairo_new_sub_path(cr);
    cairo_arc(cr, x, y, r, 0, 2 * std::numbers::pi);
  }
}

void draw_image(cairo_t* cr, const Image& img, const Transform& t) {
  const int w = static_cast<int>(img.cols), h = static_cast<int>(img.rows);
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  cairo_surface_flush(surface);
  unsigned char* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  const double lo = *img.vmin, hi = *img.vmax;
  for (int r = 0; r < h; ++r) {
    const std::size_t src_row = img.origin_lower ? img.rows - 1 - static_cast<std::size_t>(r)
                                                 : static_cast<std::size_t>(r);
    auto* row = reinterpret_cast<std::uint32_t*>(data + r * stride);
    for (int c = 0; c < w; ++c) {
      const double v = img.values[src_row * img.cols + static_cast<std::size_t>(c)];
      const Color col = color_at(img.map, hi > lo ? (v - lo) / (hi - lo) : 0.5);
      const auto channel = [&](double x) {
        return static_cast<std::uint32_t>(std::lround(std::clamp(x * col.a, 0.0, 1.0) * 255));
      };
      row[c] = channel(1) << 24 | channel(col.r) << 16 | channel(col.g) << 8 | channel(col.b);
    }
  }
  cairo_surface_mark_dirty(surface);
  const auto& e = *img.extent;
  const double x0 = t.px(e[0]), x1 = t.px(e[1]);
  const double y_top = t.py(e[3]);
  const double y_bottom = t.py(e[2]);
  const double top = std::min(y_top, y_bottom), height = std::abs(y_bottom - y_top);
  const double left = std::min(x0, x1), width = std::abs(x1 - x0);
  cairo_save(cr);
  cairo_rectangle(cr, left, top, width, height);
  cairo_clip(cr);
  cairo_translate(cr, left, top);
  cairo_scale(cr, width / w, height / h);
  cairo_set_source_surface(cr, surface, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr),
                           img.smooth ? CAIRO_FILTER_BILINEAR : CAIRO_FILTER_NEAREST);
  cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
  cairo_paint(cr);
  cairo_restore(cr);
  cairo_surface_destroy(surface);
}

void draw_colorbar(cairo_t* cr, const Image& img, const Transform& t) {
  const double x = t.right + kColorbarGap, top = t.top, bottom = t.bottom;
  const double lo = *img.vmin, hi = *img.vmax;
  const int steps = 128;
  for (int i = 0; i < steps; ++i) {
    const double f0 = static_cast<double>(i) / steps, f1 = static_cast<double>(i + 1) / steps;
    set_color(cr, color_at(img.map, (f0 + f1) / 2));
    const double y0 = bottom - f1 * (bottom - top), y1 = bottom - f0 * (bottom - top);
    cairo_rectangle(cr, x, std::floor(y0), kColorbarWidth, std::ceil(y1) - std::floor(y0));
    cairo_fill(cr);
  }
  set_color(cr, kAxis);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, x + 0.5, top + 0.5, kColorbarWidth - 1, bottom - top - 1);
  cairo_stroke(cr);
  if (!(hi > lo)) return;
  set_font(cr, kTickFont);
  const std::vector<double> ticks = nice_ticks(lo, hi, 5);
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : hi - lo;
  double label_right = x + kColorbarWidth;
  for (double v : ticks) {
    const double y = std::round(bottom - (v - lo) / (hi - lo) * (bottom - top)) + 0.5;
    set_color(cr, kAxis);
    cairo_move_to(cr, x + kColorbarWidth, y);
    cairo_line_to(cr, x + kColorbarWidth + 4, y);
    cairo_stroke(cr);
    set_color(cr, kInk);
    const std::string s = tick_label(v, step);
    draw_text(cr, s, x + kColorbarWidth + 6, y, 0, 0.5);
    label_right = std::max(label_right, x + kColorbarWidth + 6 + text_width(cr, s));
  }
  if (!img.colorbar.empty()) {
    set_font(cr, kLabelFont);
    cairo_save(cr);
    cairo_translate(cr, label_right + 4, (top + bottom) / 2);
    cairo_rotate(cr, std::numbers::pi / 2);
    draw_text(cr, img.colorbar, 0, 0, 0.5, 1);
    cairo_restore(cr);
  }
}

void draw_legend(cairo_t* cr, const Panel& p, const Transform& t) {
  struct Entry {
    std::string label;
    int kind;  // 0 line, 1 marker, 2 box
    Color color;
    const Panel::Line* line = nullptr;
    const Panel::Scatter* scatter = nullptr;
  };
  std::vector<Entry> entries;
  for (const auto& l : p.lines_) if (!l.label.empty()) entries.push_back({l.label, 0, l.color, &l});
  for (const auto& s : p.scatters_) {
    if (!s.label.empty()) entries.push_back({s.label, 1, s.color, nullptr, &s});
  }
  for (const auto& g : p.bar_groups_) if (!g.label.empty()) entries.push_back({g.label, 2, g.color});
  if (entries.empty() || p.legend_ == LegendPlace::kNone) return;
  set_font(cr, kLabelFont);
  double text_w = 0;
  for (const Entry& e : entries) text_w = std::max(text_w, text_width(cr, e.label));
  const double row_h = 20, pad = 8, sample_w = 26;
  const double box_w = pad + sample_w + 6 + text_w + pad;
  const double box_h = pad + row_h * static_cast<double>(entries.size()) + pad - 4;
  const bool right = p.legend_ == LegendPlace::kTopRight || p.legend_ == LegendPlace::kBottomRight;
  const bool below = p.legend_ == LegendPlace::kBottomLeft || p.legend_ == LegendPlace::kBottomRight;
  const double x = std::round(right ? t.right - 10 - box_w : t.left + 10);
  const double y = std::round(below ? t.bottom - 10 - box_h : t.top + 10);
  cairo_rectangle(cr, x + 0.5, y + 0.5, box_w, box_h);
  cairo_set_source_rgba(cr, 1, 1, 1, 0.88);
  cairo_fill_preserve(cr);
  set_color(cr, {0.75, 0.75, 0.75, 1});
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    const double cy = y + pad + row_h * static_cast<double>(i) + row_h / 2 - 2;
    const double sx = x + pad;
    set_color(cr, e.color);
    if (e.kind == 0) {
      cairo_set_line_width(cr, e.line->style.width);
      if (e.line->style.dashed) {
        const double dash[] = {6, 4};
        cairo_set_dash(cr, dash, 2, 0);
      }
      cairo_move_to(cr, sx, cy);
      cairo_line_to(cr, sx + sample_w, cy);
      cairo_stroke(cr);
      cairo_set_dash(cr, nullptr, 0, 0);
    } else if (e.kind == 1) {
      draw_marker(cr, e.scatter->style.marker, sx + sample_w / 2, cy,
                  std::max(3.0, e.scatter->style.radius));
      cairo_fill(cr);
    } else {
      cairo_rectangle(cr, sx + 4, cy - 6, sample_w - 8, 12);
      cairo_fill(cr);
    }
    set_color(cr, kInk);
    draw_text(cr, e.label, sx + sample_w + 6, cy, 0, 0.5);
  }
}

void draw_panel(cairo_t* cr, const Panel& p, const Transform& t) {
  const double xlo = std::min(t.x.lo, t.x.hi), xhi = std::max(t.x.lo, t.x.hi);
  const double ylo = std::min(t.y.lo, t.y.hi), yhi = std::max(t.y.lo, t.y.hi);
  const double width = t.right - t.left, height = t.bottom - t.top;
  std::vector<double> xticks, yticks;
  if (!p.categories_.empty()) {
    for (std::size_t i = 0; i < p.categories_.size(); ++i) xticks.push_back(static_cast<double>(i));
  } else {
    xticks = nice_ticks(xlo, xhi, std::clamp<std::size_t>(static_cast<std::size_t>(width / 70), 3, 11));
  }
  yticks = nice_ticks(ylo, yhi, std::clamp<std::size_t>(static_cast<std::size_t>(height / 45), 3, 9));

  // Grid, under everything.
  cairo_set_line_width(cr, 1);
  if (p.grid_) {
    set_color(cr, kGrid);
    if (p.categories_.empty()) {
      for (double v : xticks) {
        const double x = std::round(t.px(v)) + 0.5;
        cairo_move_to(cr, x, t.top);
        cairo_line_to(cr, x, t.bottom);
      }
    }
    for (double v : yticks) {
      const double y = std::round(t.py(v)) + 0.5;
      cairo_move_to(cr, t.left, y);
      cairo_line_to(cr, t.right, y);
    }
    cairo_stroke(cr);
  }

  // Data, clipped to the plot area.
  cairo_save(cr);
  cairo_rectangle(cr, t.left, t.top, width, height);
  cairo_clip(cr);
  for (const Image& img : p.images_) draw_image(cr, img, t);
  if (p.zero_lines_) {
    set_color(cr, {0.55, 0.55, 0.55, 1});
    cairo_set_line_width(cr, 1);
    if (xlo < 0 && xhi > 0) {
      const double x = std::round(t.px(0)) + 0.5;
      cairo_move_to(cr, x, t.top);
      cairo_line_to(cr, x, t.bottom);
    }
    if (ylo < 0 && yhi > 0) {
      const double y = std::round(t.py(0)) + 0.5;
      cairo_move_to(cr, t.left, y);
      cairo_line_to(cr, t.right, y);
    }
    cairo_stroke(cr);
  }
  for (const Panel::BarGroup& g : p.bar_groups_) {
    for (const Panel::Bar& b : g.bars) {
      const double x0 = t.px(b.x0), x1 = t.px(b.x1), y0 = t.py(0), y1 = t.py(b.height);
      cairo_rectangle(cr, std::min(x0, x1), std::min(y0, y1), std::abs(x1 - x0), std::abs(y1 - y0));
    }
    Color fill = g.color;
    fill.a = 0.8;
    set_color(cr, fill);
    cairo_fill_preserve(cr);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
    cairo_set_line_width(cr, g.bars.size() > 60 ? 0.5 : 1);
    cairo_stroke(cr);
  }
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  for (const Panel::Line& l : p.lines_) {
    set_color(cr, l.color);
    cairo_set_line_width(cr, l.style.width);
    if (l.style.dashed) {
      const double dash[] = {6, 4};
      cairo_set_dash(cr, dash, 2, 0);
    }
    bool pen_down = false;
    for (std::size_t i = 0; i < l.x.size(); ++i) {
      if (!std::isfinite(l.x[i]) || !std::isfinite(l.y[i])) {
        pen_down = false;
        continue;
      }
      // Far outside values are pulled in so that Cairo's fixed-point coordinates never overflow.
      const double x = std::clamp(t.px(l.x[i]), -1e5, 1e5), y = std::clamp(t.py(l.y[i]), -1e5, 1e5);
      if (pen_down) {
        cairo_line_to(cr, x, y);
      } else {
        cairo_move_to(cr, x, y);
      }
      pen_down = true;
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
  }
  for (const Panel::Scatter& s : p.scatters_) {
    const bool per_point = s.style.colors.size() == s.x.size();
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      draw_marker(cr, s.style.marker, t.px(s.x[i]), t.py(s.y[i]), s.style.radius);
      set_color(cr, per_point ? s.style.colors[i] : s.color);
      if (s.style.edge) {
        cairo_fill_preserve(cr);
        set_color(cr, *s.style.edge);
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
      } else {
        cairo_fill(cr);
      }
    }
  }
  set_font(cr, kLabelFont);
  set_color(cr, kInk);
  for (const Panel::Label& label : p.labels_) {
    draw_text(cr, label.content, t.px(label.x), t.py(label.y), 0, 0.5);
  }
  cairo_restore(cr);

  // Frame, ticks and tick labels.
  set_color(cr, kAxis);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, t.left + 0.5, t.top + 0.5, width - 1, height - 1);
  cairo_stroke(cr);
  set_font(cr, kTickFont);
  const double xstep = xticks.size() > 1 ? xticks[1] - xticks[0] : 1;
  const double ystep = yticks.size() > 1 ? yticks[1] - yticks[0] : 1;
  for (std::size_t i = 0; i < xticks.size(); ++i) {
    const double x = std::round(t.px(xticks[i])) + 0.5;
    set_color(cr, kAxis);
    cairo_move_to(cr, x, t.bottom);
    cairo_line_to(cr, x, t.bottom + 4);
    cairo_stroke(cr);
    set_color(cr, kInk);
    draw_text(cr, p.categories_.empty() ? tick_label(xticks[i], xstep) : p.categories_[i], x,
              t.bottom + 6, 0.5, 0);
  }
  double widest = 0;
  for (double v : yticks) {
    const double y = std::round(t.py(v)) + 0.5;
    set_color(cr, kAxis);
    cairo_move_to(cr, t.left - 4, y);
    cairo_line_to(cr, t.left, y);
    cairo_stroke(cr);
    set_color(cr, kInk);
    const std::string s = tick_label(v, ystep);
    widest = std::max(widest, text_width(cr, s));
    draw_text(cr, s, t.left - 6, y, 1, 0.5);
  }

  // Axis labels and title.
  set_font(cr, kLabelFont);
  set_color(cr, kInk);
  if (!p.x_label_.empty()) {
    draw_text(cr, p.x_label_, (t.left + t.right) / 2, t.bottom + 24, 0.5, 0);
  }
  if (!p.y_label_.empty()) {
    cairo_save(cr);
    cairo_translate(cr, t.left - 10 - std::max(widest, 20.0), (t.top + t.bottom) / 2);
    cairo_rotate(cr, -std::numbers::pi / 2);
    draw_text(cr, p.y_label_, 0, 0, 0.5, 1);
    cairo_restore(cr);
  }
  if (!p.title_.empty()) {
    set_font(cr, kTitleFont, true);
    draw_text(cr, p.title_, (t.left + t.right) / 2, t.top - 8, 0.5, 1);
  }
  draw_legend(cr, p, t);
  for (const Image& img : p.images_) {
    if (img.show_colorbar) {
      draw_colorbar(cr, img, t);
      break;
    }
  }
}

void render(cairo_t* cr, const Figure& f, const std::string& title,
            const std::vector<Panel>& panels) {
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
  cairo_set_font_options(cr, options);
  cairo_font_options_destroy(options);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  if (!title.empty()) {
    set_font(cr, kFigureTitleFont, true);
    set_color(cr, kInk);
    draw_text(cr, title, f.width() / 2.0, kFigureTitleBand / 2 + 4, 0.5, 0.5);
  }
  for (std::size_t i = 0; i < panels.size(); ++i) draw_panel(cr, panels[i], f.transform(i));
}

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

std::string extension_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

}  // namespace

std::string Figure::encode(Format format) const {
  std::string bytes;
  cairo_surface_t* surface = nullptr;
  switch (format) {
    case Format::kPng:
      surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width_, height_);
      break;
    case Format::kSvg:
      surface = cairo_svg_surface_create_for_stream(append, &bytes, width_, height_);
      cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PX);
      break;
    case Format::kPdf:
      surface = cairo_pdf_surface_create_for_stream(append, &bytes, width_, height_);
      break;
  }
  cairo_t* cr = cairo_create(surface);
  render(cr, *this, title_, panels_);
  cairo_status_t status = cairo_status(cr);
  cairo_destroy(cr);
  if (format == Format::kPng && status == CAIRO_STATUS_SUCCESS) {
    status = cairo_surface_write_to_png_stream(surface, append, &bytes);
  }
  cairo_surface_finish(surface);
  if (status == CAIRO_STATUS_SUCCESS) status = cairo_surface_status(surface);
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS) {
    throw Error(ErrorCode::kInvalidArgument,
                std::string("cannot render the figure: ") + cairo_status_to_string(status));
  }
  return bytes;
}

void Figure::save(const std::string& path) const {
  const std::string ext = extension_of(path);
  Format format;
  if (ext == "png") {
    format = Format::kPng;
  } else if (ext == "svg") {
    format = Format::kSvg;
  } else if (ext == "pdf") {
    format = Format::kPdf;
  } else {
    throw Error(ErrorCode::kInvalidArgument,
                "cannot save a figure as '" + path + "': use a .png, .svg or .pdf file name");
  }
  const std::string bytes = encode(format);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw Error(ErrorCode::kIo, "cannot write '" + path + "': " + std::strerror(errno));
  }
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    throw Error(ErrorCode::kIo, "cannot write '" + path + "': " + std::strerror(errno));
  }
}

}  // namespace actlab::plot
