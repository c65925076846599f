// actlab: understand, compute and compare neural-network activation functions.
#include <exception>
#include <iostream>
#include <string>

#include "actlab/error.hpp"
#include "cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "actlab: neural-network activation functions — catalogue, exact references, fast kernels.\n"
      "Exit status: 0 ok, 1 internal error, 2 usage, 3 unknown name, 4 invalid parameter,\n"
      "5 invalid argument, 6 I/O error, 7 corrupt data, 8 a check failed (docs/cli.md)."};
  app.require_subcommand(1);
  int exit_code = actlab::cli::kExitOk;
  actlab::cli::add_list_command(app, exit_code);
  actlab::cli::add_show_command(app, exit_code);
  actlab::cli::add_eval_command(app, exit_code);
  actlab::cli::add_examples_command(app, exit_code);
  actlab::cli::add_experiment_commands(app, exit_code);
  actlab::cli::add_train_command(app, exit_code);
  actlab::cli::add_plot_commands(app, exit_code);
  actlab::cli::add_tour_command(app, exit_code);
  actlab::cli::add_study_command(app, exit_code);
  // CLI11 would only say "a subcommand is required" for a mistyped command: name it.
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      found = found || sub->get_name() == argv[1];
      known += (known.empty() ? "" : ", ") + sub->get_name();
    }
    if (!found) {
      std::cerr << "actlab: error: unknown command '" << argv[1] << "' (commands: " << known
                << "; try --help)\n";
      return actlab::cli::kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return actlab::cli::kExitUsage;
  } catch (const actlab::Error& e) {
    std::cerr << "actlab: error: " << e.what() << "\n";
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "actlab: internal error: " << e.what() << "\n";
    return actlab::cli::kExitInternal;
  }
  return exit_code;
}
