// actlab tour: one self-contained HTML page (plus its PNG figures) that walks through the
// tutorials in order (docs/tour.md): why nonlinearity, the perceptron and XOR, the
// activations with their six-panel views and catalogue properties, the derivative round-off
// lesson, x² approximation and a short CNN training run, with the seeds' mistakes corrected.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "actlab/data/mnist.hpp"

namespace actlab::report {

enum class Language { kEnglish, kKorean };
// "en" | "ko" (case-insensitive); Error kInvalidParameter (exit 4) otherwise.
Language parse_language(const std::string& text);

struct TourOptions {
  std::string out_dir = "actlab-tour";
  Language language = Language::kEnglish;
  std::uint64_t seed = 1;  // perceptron, linear collapse, view samples, x² fits
  bool quick = false;      // a tiny CNN run (for tests): a few seconds in all
  std::string data = data::kDefaultMnistFolder;
  // Called with a short line as each step starts (progress for the CLI); may be empty.
  std::function<void(const std::string&)> progress;
};

struct TourResult {
  std::string page;                 // out_dir/index.html
  std::vector<std::string> images;  // file names, relative to out_dir
  double seconds = 0;               // wall time
};

// Creates out_dir if needed and writes index.html and its figures. Error kIo naming the
// path when the folder cannot be created or written; data errors as data::load_study_data
// (the CNN section then says the data is missing instead of failing the page).
TourResult write_tour(const TourOptions& options);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(std::string_view text);

}  // namespace actlab::report
