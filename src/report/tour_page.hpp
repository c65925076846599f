// The tour's page builder (private to src/report): text in two languages, sections, figures,
// tables and corrections, shared by the tour's section files.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actlab/plot/figure.hpp"
#include "actlab/report/tour.hpp"

namespace actlab::report::detail {

namespace fs = std::filesystem;

inline std::string num(double value, const char* format) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// Replaces each "{}" in `text`, in order, by the next argument.
inline std::string fill(std::string_view text, const std::vector<std::string>& args) {
  std::string out;
  std::size_t next = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{' && i + 1 < text.size() && text[i + 1] == '}' && next < args.size()) {
      out += args[next++];
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class Page {
 public:
  Page(const TourOptions& o, fs::path dir) : o_(o), dir_(std::move(dir)) {}

  bool ko() const { return o_.language == Language::kKorean; }
  // The text in the page's language.
  std::string_view t(std::string_view en, std::string_view kr) const { return ko() ? kr : en; }

  void raw(std::string_view html) { html_ += html; }
  void p(std::string_view text) { html_ += "<p>" + html_escape(text) + "</p>\n"; }
  void h2(std::string_view id, std::string_view text) {
    html_ += "<section id=\"" + html_escape(id) + "\">\n<h2>" + html_escape(text) + "</h2>\n";
    toc_.emplace_back(id, text);
  }
  void end_section() { html_ += "</section>\n"; }
  void h3(std::string_view id, std::string_view text) {
    html_ += "<h3 id=\"" + html_escape(id) + "\">" + html_escape(text) + "</h3>\n";
  }
  // A correction of the seeds: what they said, and what is right.
  void fix(std::string_view said, std::string_view right) {
    html_ += "<div class=\"fix\"><div class=\"fix-title\">" +
             html_escape(t("Correction", "바로잡기")) + "</div><p><b>" +
             html_escape(t("The seed says: ", "원문: ")) + "</b>" + html_escape(said) +
             "</p><p><b>" + html_escape(t("Right: ", "올바른 내용: ")) + "</b>" +
             html_escape(right) + "</p></div>\n";
  }
  void note(std::string_view text) {
    html_ += "<div class=\"note\">" + html_escape(text) + "</div>\n";
  }
  // Saves the figure as `name`.png and shows it with a caption.
  void figure(const plot::Figure& fig, const std::string& name, std::string_view caption) {
    const std::string file = name + ".png";
    fig.save((dir_ / file).string());
    images_.push_back(file);
    html_ += "<figure><img src=\"" + html_escape(file) + "\" width=\"" +
             std::to_string(fig.width()) + "\" height=\"" + std::to_string(fig.height()) +
             "\" alt=\"" + html_escape(caption) + "\"><figcaption>" + html_escape(caption) +
             "</figcaption></figure>\n";
  }
  // A table: header cells and rows, all escaped; `numeric` right-aligns columns ≥ 1.
  void table(const std::vector<std::string>& header,
             const std::vector<std::vector<std::string>>& rows, bool numeric = false) {
    html_ += std::string("<div class=\"scroll\"><table") + (numeric ? " class=\"num\"" : "") +
             "><thead><tr>";
    for (const auto& h : header) html_ += "<th>" + html_escape(h) + "</th>";
    html_ += "</tr></thead><tbody>\n";
    for (const auto& row : rows) {
      html_ += "<tr>";
      for (const auto& cell : row) html_ += "<td>" + html_escape(cell) + "</td>";
      html_ += "</tr>\n";
    }
    html_ += "</tbody></table></div>\n";
  }
  void step(const std::string& what) const {
    if (o_.progress) o_.progress(what);
  }

  const std::string& body() const { return html_; }
  const std::vector<std::pair<std::string, std::string>>& toc() const { return toc_; }
  const std::vector<std::string>& images() const { return images_; }
  const TourOptions& options() const { return o_; }
  const fs::path& dir() const { return dir_; }

 private:
  const TourOptions& o_;
  fs::path dir_;
  std::string html_;
  std::vector<std::pair<std::string, std::string>> toc_;
  std::vector<std::string> images_;
};

// Section 7: a short activation study (tour_study.cpp).
void section_study(Page& pg);

}  // namespace actlab::report::detail
