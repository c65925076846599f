// actlab tour: the tutorials as one HTML page with its figures (docs/tour.md).
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "actlab/report/tour.hpp"
#include "cli.hpp"

namespace actlab::cli {
namespace {

struct TourCommandOptions {
  std::string out = "actlab-tour";
  std::string lang = "en";
  std::uint64_t seed = 1;
  bool quick = false;
  std::string data = data::kDefaultMnistFolder;
};

void run_tour(const TourCommandOptions& o) {
  report::TourOptions options;
  options.language = report::parse_language(o.lang);  // exit 4 before any work
  options.out_dir = o.out;
  options.seed = o.seed;
  options.quick = o.quick;
  options.data = o.data;
  options.progress = [](const std::string& line) {
    std::cout << "tour: " << line << "\n" << std::flush;
  };
  const report::TourResult r = report::write_tour(options);
  std::cout << fmt::format("\nwrote {} ({} figures) in {:.1f} s\nopen it in a browser: {}\n",
                           r.page, r.images.size(), r.seconds, r.page);
}

}  // namespace

void add_tour_command(CLI::App& app, int& /*exit_code*/) {
  auto* cmd = app.add_subcommand(
      "tour", "Write the tutorials as one HTML page with its figures (docs/tour.md)");
  auto o = std::make_shared<TourCommandOptions>();
  cmd->add_option("--out", o->out, "Folder for index.html and its PNG figures")
      ->capture_default_str();
  cmd->add_option("--lang", o->lang, "Language of the text: en or ko")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed for the small experiments")->capture_default_str();
  cmd->add_flag("--quick", o->quick, "A tiny CNN run instead of the ~30 s one (for tests)");
  cmd->add_option("--data", o->data, "Folder of MNIST-format files")->capture_default_str();
  cmd->callback([o] { run_tour(*o); });
}

}  // namespace actlab::cli
