// The actlab command-line program: one function per subcommand, registered in main.cpp.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

namespace actlab::cli {

// Exit statuses (docs/cli.md). Library errors use their ErrorCode's value (3–7).
inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;  // a bug: please report it
inline constexpr int kExitUsage = 2;     // bad command line (unknown option, missing argument)
inline constexpr int kExitCheckFailed = 8;  // a worked example no longer matches the seeds

// "k=v" strings from --param, parsed to numbers (Error kInvalidParameter if not).
std::vector<std::pair<std::string, double>> parse_params(const std::vector<std::string>& items);
// A whole string as a double, or Error with `what` in the message.
double parse_number(const std::string& text, const std::string& what, bool is_parameter);

void add_list_command(CLI::App& app, int& exit_code);
void add_show_command(CLI::App& app, int& exit_code);
void add_eval_command(CLI::App& app, int& exit_code);
void add_examples_command(CLI::App& app, int& exit_code);
// perceptron, gates, linear-collapse, approx: the tutorials' small experiments.
void add_experiment_commands(CLI::App& app, int& exit_code);
// train: the seed-001 CNN with AdamW and early stopping.
void add_train_command(CLI::App& app, int& exit_code);
// plot, view, plot-derivative, plot-regions, plot-approx: the tutorials' figures (docs/figures.md).
void add_plot_commands(CLI::App& app, int& exit_code);
// tour: the tutorials as one HTML page with its figures (docs/tour.md).
void add_tour_command(CLI::App& app, int& exit_code);
// study run|worker|status|report: the activation study (docs/study.md).
void add_study_command(CLI::App& app, int& exit_code);

}  // namespace actlab::cli
