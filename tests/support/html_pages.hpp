// Helpers for the tests that check generated HTML pages (the tour, the study report):
// files in and out, a Python checker run on a page, headless Chromium, and an image probe.
// Header-only: the tests that use them already link test_support for run_command.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "support/test_support.hpp"

namespace actlab::test {

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Single quotes for the shell (the paths the tests make have none of their own).
inline std::string quote(const std::string& s) { return "'" + s + "'"; }

// Runs a Python page checker (its source; it prints one JSON object) on `page` with Debian's
// Python, next to the page, and returns what it printed.
inline nlohmann::json run_page_checker(const std::filesystem::path& page,
                                       const std::string& checker_source) {
  const std::filesystem::path script = page.parent_path() / "check_html.py";
  write_text(script, checker_source);
  const auto r = run_command(std::string(ACTLAB_PYTHON) + " " + quote(script.string()) + " " +
                             quote(page.string()));
  std::filesystem::remove(script);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

// Headless Chromium on a local page, with a throw-away profile and no network chatter.
inline std::string chromium_command(const std::string& extra, const std::filesystem::path& page) {
  return "timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
         "--disable-background-networking --disable-component-update --disable-sync "
         "--user-data-dir=\"$(mktemp -d)\" " +
         extra + " " + quote("file://" + std::filesystem::absolute(page).string());
}

// `html` with a script before </body> that, once loaded, sets the title to
// "IMAGES <count> BROKEN <failed>"; "" when the page has no </body>.
inline std::string with_image_probe(std::string html) {
  const auto end = html.rfind("</body>");
  if (end == std::string::npos) return "";
  html.insert(end,
              "<script>window.addEventListener('load',()=>{let b=0;for(const i of "
              "document.images){if(!i.complete||i.naturalWidth===0)b++;}document.title="
              "'IMAGES '+document.images.length+' BROKEN '+b;});</script>");
  return html;
}

}  // namespace actlab::test
