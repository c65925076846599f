// actlab train: the seed-001 CNN on MNIST-format data with AdamW and early stopping
// (EXPERIMENTS.md §1), one trial of the activation study.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "actlab/data/mnist.hpp"
#include "actlab/error.hpp"
#include "actlab/nn/model.hpp"
#include "cli.hpp"

namespace actlab::cli {
namespace {

struct TrainCommandOptions {
  std::string conv_activation;
  std::string fc_activation;
  std::string learning_rate_text;
  std::string data = data::kDefaultMnistFolder;
  std::size_t epochs = 1000;
  std::size_t patience = 5;
  std::size_t train_size = 3000;
  std::size_t val_size = 2000;
  std::size_t trial_size = 5000;
  std::size_t test_size = 10000;
  std::size_t batch_size = 32;
  std::uint64_t seed = data::kStudySeed;
  std::uint64_t split_seed = data::kStudySeed;
  bool seed_bug = false;
  std::string save;
  bool as_json = false;
};

// "[#####-----]" for a fraction in [0, 1].
std::string bar(double fraction, int width) {
  const int filled = static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * width));
  return "[" + std::string(static_cast<std::size_t>(filled), '#') +
         std::string(static_cast<std::size_t>(width - filled), '-') + "]";
}

void run_train(const TrainCommandOptions& o) {
  const double lr = parse_number(o.learning_rate_text, "--lr", /*is_parameter=*/true);
  if (!(lr > 0.0) || !std::isfinite(lr)) {
    throw Error(ErrorCode::kInvalidParameter,
                "--lr must be a positive number, got " + o.learning_rate_text);
  }
  // Build the model first: a bad activation name fails before the data is read.
  const std::string spec = nn::Sequential::seed_cnn_spec(o.conv_activation, o.fc_activation);
  nn::Sequential model = nn::Sequential::from_spec(spec, o.seed);

  const auto wall_start = std::chrono::steady_clock::now();
  data::SplitSizes sizes;
  sizes.train = o.train_size;
  sizes.epoch_validation = o.val_size;
  sizes.trial_validation = o.trial_size;
  sizes.test = o.test_size;
  const data::StudyData d = data::load_study_data(o.data, o.split_seed, sizes);

  nn::AdamOptions adam;
  adam.lr = lr;
  adam.weight_decay = 0.01;
  auto optimizer = nn::make_adamw(model.parameters(), adam);
  nn::TrainOptions options;
  options.batch_size = o.batch_size;
  options.max_epochs = o.epochs;
  options.patience = o.patience;
  options.shuffle_seed = o.seed;
  options.softmax_before_cross_entropy = o.seed_bug;

  const bool terminal = !o.as_json && isatty(STDOUT_FILENO) != 0;
  if (terminal) {
    // In-epoch progress on the bar line, redrawn at most every 0.1 s; the epoch's line
    // replaces it when the epoch ends. Nothing of this when stdout is not a terminal.
    auto last_draw = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    options.on_batch = [last_draw](std::size_t epoch, std::size_t done,
                                   std::size_t count) mutable {
      const auto now = std::chrono::steady_clock::now();
      if (done < count && now - last_draw < std::chrono::milliseconds(100)) return;
      last_draw = now;
      std::cout << "\r\033[K"
                << fmt::format("epoch {:>3}  {} {}/{} batches", epoch,
                               bar(static_cast<double>(done) / static_cast<double>(count), 30),
                               done, count)
                << std::flush;
    };
  }
  if (!o.as_json) {
    std::cout << fmt::format(
        "Seed CNN ({} parameters): {}\nAdamW lr {} weight decay 0.01, batch {}, patience {}, "
        "seed {}{}\ndata {}: train {}, epoch-validation {}, trial-validation {}, test {}\n\n",
        model.parameter_count(), model.spec(), lr, o.batch_size, o.patience, o.seed,
        o.seed_bug ? ", SEED BUG: softmax before cross-entropy" : "", o.data, d.train.size(),
        d.epoch_validation.size(), d.trial_validation.size(), d.test.size());
    std::cout.flush();
  }
  double best_accuracy = -1;
  std::size_t best_epoch = 0;
  auto on_epoch = [&](const nn::EpochRecord& r) {
    if (r.validation_accuracy > best_accuracy) {
      best_accuracy = r.validation_accuracy;
      best_epoch = r.epoch;
    }
    if (o.as_json) return true;
    const std::string line = fmt::format(
        "epoch {:>3}  train loss {:.4f} acc {:.4f}  val loss {:.4f} acc {:.4f}{}  {:.1f} s",
        r.epoch, r.train_loss, r.train_accuracy, r.validation_loss, r.validation_accuracy,
        r.epoch == best_epoch ? " *" : "  ", r.seconds);
    if (terminal) {
      // The epoch line stays; below it, a bar of the patience left, redrawn in place.
      const std::size_t waited = r.epoch - best_epoch;
      const double left = o.patience == 0
                              ? 1.0
                              : 1.0 - static_cast<double>(waited) / static_cast<double>(o.patience);
      std::cout << "\r\033[K" << line << "\n"
                << fmt::format("{} patience {}/{} left, best epoch {} ({:.4f})", bar(left, 20),
                               o.patience - std::min(waited, o.patience), o.patience, best_epoch,
                               best_accuracy)
                << std::flush;
    } else {
      std::cout << line << "\n" << std::flush;
    }
    return true;
  };
  const auto fit_start = std::chrono::steady_clock::now();
  const nn::TrainResult result =
      nn::fit(model, *optimizer, {&d.train.images, &d.train.labels},
              {&d.epoch_validation.images, &d.epoch_validation.labels}, options, on_epoch);
  const double fit_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - fit_start).count();
  if (terminal) std::cout << "\r\033[K";

  const nn::Evaluation trial =
      nn::evaluate(model, {&d.trial_validation.images, &d.trial_validation.labels}, options);
  const nn::Evaluation test = nn::evaluate(model, {&d.test.images, &d.test.labels}, options);
  if (!o.save.empty()) model.save(o.save);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const std::size_t epochs = result.history.size();
  // Training throughput over the whole fit (the per-epoch validation pass included).
  const double images_per_second =
      static_cast<double>(d.train.size() * epochs) / std::max(fit_seconds, 1e-9);

  if (o.as_json) {
    nlohmann::json history = nlohmann::json::array();
    for (const nn::EpochRecord& r : result.history) {
      history.push_back({{"epoch", r.epoch},
                         {"train_loss", r.train_loss},
                         {"train_accuracy", r.train_accuracy},
                         {"validation_loss", r.validation_loss},
                         {"validation_accuracy", r.validation_accuracy},
                         {"seconds", r.seconds}});
    }
    nlohmann::json j{{"spec", model.spec()},
                     {"parameters", model.parameter_count()},
                     {"conv_activation", o.conv_activation},
                     {"fc_activation", o.fc_activation},
                     {"learning_rate", lr},
                     {"seed", o.seed},
                     {"split_seed", o.split_seed},
                     {"seed_bug", o.seed_bug},
                     {"data", o.data},
                     {"sizes",
                      {{"train", d.train.size()},
                       {"epoch_validation", d.epoch_validation.size()},
                       {"trial_validation", d.trial_validation.size()},
                       {"test", d.test.size()}}},
                     {"epochs", epochs},
                     {"best_epoch", result.best_epoch},
                     {"best_validation_accuracy", result.best_validation_accuracy},
                     {"stopped_early", result.stopped_early},
                     {"trial_validation_accuracy", trial.accuracy},
                     {"trial_validation_loss", trial.loss},
                     {"test_accuracy", test.accuracy},
                     {"test_loss", test.loss},
                     {"fit_seconds", fit_seconds},
                     {"wall_seconds", wall},
                     {"train_images_per_second", images_per_second},
                     {"history", history}};
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format(
      "\n{} after {} epochs; best epoch {} (epoch-validation {:.4f}), its weights restored\n"
      "trial-validation accuracy {:.4f}  (loss {:.4f})\n"
      "test accuracy             {:.4f}  (loss {:.4f})\n"
      "wall time {:.1f} s (training {:.1f} s, {:.0f} images/s incl. validation)\n",
      result.stopped_early ? "Early stop" : "Epoch limit", epochs, result.best_epoch,
      result.best_validation_accuracy, trial.accuracy, trial.loss, test.accuracy, test.loss, wall,
      fit_seconds, images_per_second);
  if (!o.save.empty()) std::cout << fmt::format("model saved to {}\n", o.save);
}

}  // namespace

void add_train_command(CLI::App& app, int& /*exit_code*/) {
  auto* cmd = app.add_subcommand(
      "train", "Train the seed CNN (EXPERIMENTS.md §1) with AdamW and early stopping");
  auto o = std::make_shared<TrainCommandOptions>();
  cmd->add_option("--conv-act", o->conv_activation,
                  "Activation after each conv layer (a catalogue name, e.g. prelu or "
                  "'leaky_relu(negative_slope=0.1)')")
      ->required();
  cmd->add_option("--fc-act", o->fc_activation, "Activation after the 1024→64 layer")->required();
  cmd->add_option("--lr", o->learning_rate_text, "AdamW learning rate (> 0)")->required();
  cmd->add_option("--data", o->data, "Folder of MNIST-format files")->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "Epoch limit (early stopping usually ends first)")
      ->capture_default_str();
  cmd->add_option("--patience", o->patience,
                  "Epochs without a strictly better validation accuracy before stopping "
                  "(0: never stop early)")
      ->capture_default_str();
  cmd->add_option("--train-size", o->train_size, "Training images")->capture_default_str();
  cmd->add_option("--val-size", o->val_size, "Epoch-validation images (early stopping)")
      ->capture_default_str();
  cmd->add_option("--trial-size", o->trial_size, "Trial-validation images (the trial's score)")
      ->capture_default_str();
  cmd->add_option("--test-size", o->test_size, "Test images (the first of t10k)")
      ->capture_default_str();
  cmd->add_option("--batch-size", o->batch_size, "Mini-batch size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->seed, "Seed for the initial weights and the shuffling")
      ->capture_default_str();
  cmd->add_option("--split-seed", o->split_seed, "Seed for sampling the data split")
      ->capture_default_str();
  cmd->add_flag("--seed-bug", o->seed_bug,
                "Reproduce the original's softmax before cross-entropy (loss floor 1.4612)");
  cmd->add_option("--save", o->save, "Write the trained model here (docs/formats.md)");
  cmd->add_flag("--json", o->as_json, "As JSON (with the per-epoch history)");
  cmd->callback([o] { run_train(*o); });
}

}  // namespace actlab::cli
