// A small, general plotting module on Cairo: a Figure is a grid of Panels, each with a title,
// axis labels, "nice" ticks and any mix of line series, scatter points, histograms, bar
// charts and images (grayscale or colour-mapped, with an optional colour bar), saved as PNG,
// SVG or PDF by the file's extension. The tutorials' figures (plot/figures.hpp) are built
// from these pieces; nothing here knows about activations.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace actlab::plot {

struct Color {
  double r = 0, g = 0, b = 0, a = 1;
};

// A readable categorical palette (Okabe & Ito 2008, colour-blind safe, black moved last);
// wraps around after eight colours.
Color palette(std::size_t index);

enum class ColorMap { kGray, kViridis, kBlueRed };
// The map's colour at t ∈ [0, 1] (clamped). kViridis interpolates matplotlib's viridis table;
// kBlueRed is a diverging blue–white–red map for values around a centre.
Color color_at(ColorMap map, double t);

enum class Marker { kCircle, kSquare };
enum class LegendPlace { kTopLeft, kTopRight, kBottomLeft, kBottomRight, kNone };

struct LineStyle {
  std::optional<Color> color;  // default: the panel's next palette colour
  double width = 2.0;          // pixels
  bool dashed = false;
};

struct ScatterStyle {
  std::optional<Color> color;  // default: the panel's next palette colour
  std::vector<Color> colors;   // per point, overriding `color` when its size matches
  double radius = 3.0;         // pixels
  Marker marker = Marker::kCircle;
  std::optional<Color> edge;   // outline; none by default
};

// A raster of values, row-major, `rows` × `cols`. Drawn over `extent` in data units.
struct Image {
  std::size_t rows = 0, cols = 0;
  std::vector<double> values;
  ColorMap map = ColorMap::kGray;
  std::optional<double> vmin, vmax;  // the colour scale; default: the values' min and max
  // x0, x1, y0, y1 of the raster's outer edges; default: pixel units 0..cols, 0..rows.
  std::optional<std::array<double, 4>> extent;
  bool origin_lower = false;  // row 0 at the bottom (a y-up grid) instead of the top (a picture)
  bool smooth = false;        // bilinear scaling instead of one flat block per value
  std::string colorbar;       // a colour bar with this label ("" = no colour bar)
  bool show_colorbar = false;
};

struct Range {
  double lo = 0, hi = 1;
};

// The panel's data → pixel map, in the figure's pixel coordinates (y grows downwards).
struct Transform {
  Range x, y;                     // the data ranges on the axes
  double left = 0, right = 0;     // pixels of x.lo and x.hi
  double top = 0, bottom = 0;     // pixels of y.hi and y.lo
  double px(double data_x) const { return left + (data_x - x.lo) / (x.hi - x.lo) * (right - left); }
  double py(double data_y) const {
    return bottom - (data_y - y.lo) / (y.hi - y.lo) * (bottom - top);
  }
};

// Tick positions for [lo, hi]: steps of 1, 2 or 5 × 10^k giving about `target` ticks, all
// inside the range (ends included when they fall on a step).
std::vector<double> nice_ticks(double lo, double hi, std::size_t target = 6);
// The tick label for `value` on an axis whose ticks are `step` apart: as many decimals as
// the step needs, Unicode minus, "0" for zero.
std::string tick_label(double value, double step);

class Panel {
 public:
  Panel& title(std::string text);
  Panel& x_label(std::string text);
  Panel& y_label(std::string text);
  // Fixed ranges; otherwise from the data (lines: x exact, y with a 5 % margin; histograms and
  // bars from 0; images their extent).
  Panel& x_range(double lo, double hi);
  Panel& y_range(double lo, double hi);
  Panel& grid(bool on);        // light lines at the ticks (on by default)
  Panel& zero_lines(bool on);  // thin lines at x = 0 and y = 0 when in range (off by default)
  Panel& legend(LegendPlace place);
  // One data unit as many pixels on x as on y (pictures, maps); the plot area shrinks to fit.
  Panel& equal_aspect(bool on);

  Panel& line(std::vector<double> x, std::vector<double> y, std::string label = "",
              LineStyle style = {});
  Panel& scatter(std::vector<double> x, std::vector<double> y, std::string label = "",
                 ScatterStyle style = {});
  // `bins` equal bins from the values' min to max; bar heights are counts.
  Panel& histogram(const std::vector<double>& values, std::size_t bins, std::string label = "",
                   std::optional<Color> color = {});
  // One bar per category, labelled on the x axis (x = 0, 1, …).
  Panel& bars(std::vector<std::string> categories, std::vector<double> heights,
              std::string label = "", std::optional<Color> color = {});
  Panel& image(Image img);
  // Free text at a data position (left-aligned, vertically centred).
  Panel& text(double x, double y, std::string content);

  // Internal state, read by the renderer.
  struct Line {
    std::vector<double> x, y;
    std::string label;
    LineStyle style;
    Color color;
  };
  struct Scatter {
    std::vector<double> x, y;
    std::string label;
    ScatterStyle style;
    Color color;
  };
  struct Bar {  // a filled rectangle from (x0, 0) to (x1, height)
    double x0, x1, height;
  };
  struct BarGroup {
    std::vector<Bar> bars;
    std::string label;
    Color color;
  };
  struct Label {
    double x, y;
    std::string content;
  };
  std::string title_, x_label_, y_label_;
  std::optional<Range> x_range_, y_range_;
  bool grid_ = true, zero_lines_ = false, equal_aspect_ = false;
  LegendPlace legend_ = LegendPlace::kTopLeft;
  std::vector<Line> lines_;
  std::vector<Scatter> scatters_;
  std::vector<BarGroup> bar_groups_;
  std::vector<std::string> categories_;
  std::vector<Image> images_;
  std::vector<Label> labels_;

  // The ranges the axes show: fixed ones, else from the data.
  Range data_x_range() const;
  Range data_y_range() const;
  bool has_colorbar() const;

 private:
  Color next_color();
  std::size_t colour_index_ = 0;
};

class Figure {
 public:
  // A figure of width × height pixels (at 100 % zoom) with rows × cols panels.
  Figure(int width, int height, std::size_t rows = 1, std::size_t cols = 1);
  Figure& title(std::string text);
  Panel& panel(std::size_t row, std::size_t col);
  Panel& panel(std::size_t index);  // row-major
  std::size_t panel_count() const { return panels_.size(); }
  int width() const { return width_; }
  int height() const { return height_; }

  // Where the panel's plot area lies in the figure and how data maps to pixels. Depends only
  // on the figure's size, the grid and whether the panel has a title, labels or colour bar.
  Transform transform(std::size_t index) const;

  // Saves by extension: .png, .svg or .pdf (Error kInvalidArgument for any other, Error kIo
  // naming the path when it cannot be written).
  void save(const std::string& path) const;
  enum class Format { kPng, kSvg, kPdf };
  std::string encode(Format format) const;  // the file's bytes

 private:
  int width_, height_;
  std::size_t rows_, cols_;
  std::string title_;
  std::vector<Panel> panels_;
};

}  // namespace actlab::plot
