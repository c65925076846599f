// Sequential: spec parsing and round-trip, parameter counts, the model file format and its
// error cases, and the early-stopping rule of fit().
#include "actlab/nn/model.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "actlab/error.hpp"
#include "actlab/random.hpp"

namespace actlab::nn {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("actlab_model_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

Tensor random_tensor(Shape shape, std::uint64_t seed) {
  Tensor t(std::move(shape));
  Rng rng(seed);
  for (float& v : t.data()) v = static_cast<float>(rng.uniform(-1, 1));
  return t;
}

// The error code and message of `f`, or a failure if it does not throw actlab::Error.
template <typename F>
Error error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected an actlab::Error";
  return Error(ErrorCode::kIo, "");
}

TEST(Spec, SeedCnnHas121994Parameters) {
  Sequential m = Sequential::from_spec(Sequential::seed_cnn_spec("relu", "relu"), 1);
  EXPECT_EQ(m.parameter_count(), 121994u);
  // Each PReLU layer adds one scalar slope, as nn.PReLU() in the seed.
  Sequential p = Sequential::from_spec(Sequential::seed_cnn_spec("prelu", "prelu"), 1);
  EXPECT_EQ(p.parameter_count(), 121994u + 4u);
  EXPECT_EQ(m.output_shape({32, 1, 28, 28}), (Shape{32, 10}));
}

TEST(Spec, RoundTripsToTheSameText) {
  const std::vector<std::string> canonical = {
      Sequential::seed_cnn_spec("prelu", "tanh"),
      Sequential::seed_cnn_spec("leaky_relu(negative_slope=0.1)", "elu"),
      "dense(4, 8, bias=false) -> sigmoid -> dropout(0.25) -> dense(8, 3)",
      "conv2d(3, 4, 5, stride=2, padding=1) -> avg_pool2d(2) -> flatten",
  };
  for (const std::string& spec : canonical) {
    Sequential m = Sequential::from_spec(spec, 7);
    EXPECT_EQ(m.spec(), spec);
    EXPECT_EQ(Sequential::from_spec(m.spec(), 7).spec(), spec);
  }
  // Other spellings of the same model: aliases, ';', positional arguments, spaces.
  EXPECT_EQ(Sequential::from_spec("linear(2,3);ReLU;  leaky_relu(0.1)->linear(3,1)", 1).spec(),
            "dense(2, 3) -> relu -> leaky_relu(negative_slope=0.1) -> dense(3, 1)");
  EXPECT_EQ(Sequential::from_spec("conv2d(in_channels=1, out_channels=2, kernel_size=3)", 1).spec(),
            "conv2d(1, 2, 3)");
}

TEST(Spec, SameSeedSameWeightsOtherSeedOtherWeights) {
  const std::string spec = "dense(5, 4) -> tanh -> dense(4, 2)";
  Sequential a = Sequential::from_spec(spec, 3);
  Sequential b = Sequential::from_spec(spec, 3);
  Sequential c = Sequential::from_spec(spec, 4);
  const Tensor x = random_tensor({6, 5}, 11);
  const Tensor ya = a.forward(x, false);
  const Tensor yb = b.forward(x, false);
  const Tensor yc = c.forward(x, false);
  for (std::size_t i = 0; i < ya.size(); ++i) EXPECT_EQ(ya[i], yb[i]) << "at " << i;
  bool differs = false;
  for (std::size_t i = 0; i < ya.size(); ++i) differs = differs || ya[i] != yc[i];
  EXPECT_TRUE(differs);
}

struct BadSpec {
  std::string spec;
  ErrorCode code;
  std::vector<std::string> message_parts;
};

TEST(Spec, ErrorsSayWhatAndWhere) {
  const std::vector<BadSpec> cases = {
      {"dense(4, 8) -> rleu -> dense(8, 2)",
       ErrorCode::kUnknownName,
       {"column 16", "'rleu'", "did you mean", "'relu'"}},
      {"dense(4, 8) -> denes(8, 2)", ErrorCode::kUnknownName, {"column 16", "'dense'"}},
      {"conv2d(1, 32)", ErrorCode::kInvalidParameter, {"column 1", "needs 'kernel_size'"}},
      {"conv2d(1, 32, 3, paddin=1)",
       ErrorCode::kUnknownName,
       {"column 18", "no parameter 'paddin'", "did you mean 'padding'"}},
      {"dense(1, 2, 3, 4)", ErrorCode::kInvalidParameter, {"at most 3"}},
      {"dense(1.5, 2)", ErrorCode::kInvalidParameter, {"whole number", "in_features"}},
      {"dense(4, 8", ErrorCode::kInvalidArgument, {"expected ',' or ')'"}},
      {"dense(4, 8) relu", ErrorCode::kInvalidArgument, {"column 13", "'->' or ';'"}},
      {"dense(4, 8) -> ", ErrorCode::kInvalidArgument, {"expected a layer or activation name"}},
      {"", ErrorCode::kInvalidArgument, {"empty"}},
      {"leaky_relu(negative_slope=abc)", ErrorCode::kInvalidParameter, {"'abc'"}},
      {"dense(2, 2, bias=false, bias=true)", ErrorCode::kInvalidParameter, {"given twice"}},
      {"dropout(1.5)", ErrorCode::kInvalidParameter, {"[0, 1)"}},
      {"elu(alfa=1)", ErrorCode::kUnknownName, {"column 1", "alfa"}},
  };
  for (const BadSpec& c : cases) {
    const Error e = error_of([&] { Sequential::from_spec(c.spec, 1); });
    EXPECT_EQ(e.code(), c.code) << "spec \"" << c.spec << "\": " << e.what();
    for (const std::string& part : c.message_parts) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
          << "spec \"" << c.spec << "\": message \"" << e.what() << "\" lacks \"" << part << "\"";
    }
  }
}

// ------------------------------------------------------------------------------ fused forward

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Asserts a and b have the same shape and bits; names the first differing element.
void expect_same_bits(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_TRUE(same_bits(a[i], b[i])) << what << ": element " << i << " is " << a[i]
                                       << " through Sequential, " << b[i] << " layer by layer";
  }
}

// Sequential::forward fuses Dense/Conv2d with the activation after them and passes tensors
// on without copies; its outputs and, after backward (or backward_parameters), every
// gradient and the input gradient must have the bits of calling each layer's forward()
// and backward() in turn.
TEST(SequentialForward, FusedAndConsumingPathsGiveTheLayerByLayerBits) {
  const std::vector<std::string> specs = {
      Sequential::seed_cnn_spec("relu", "relu"),
      Sequential::seed_cnn_spec("prelu", "tanh"),
      Sequential::seed_cnn_spec("elu", "sigmoid"),   // elu's backward reads its input
      Sequential::seed_cnn_spec("leaky_relu(negative_slope=0.1)", "gelu"),
      "conv2d(2, 3, 3, stride=2, padding=1, bias=false) -> tanh -> avg_pool2d(2) -> flatten -> "
      "dense(12, 5, bias=false) -> softplus -> dense(5, 4) -> sigmoid -> softmax(dim=1)",
      "dense(6, 7) -> relu -> dropout(0.5) -> dense(7, 3) -> rrelu"};
  const std::vector<Shape> inputs = {{5, 1, 28, 28}, {5, 1, 28, 28}, {5, 1, 28, 28},
                                     {5, 1, 28, 28}, {3, 2, 8, 8},   {4, 6}};
  for (std::size_t s = 0; s < specs.size(); ++s) {
    SCOPED_TRACE(specs[s]);
    const Tensor x = random_tensor(inputs[s], 11 + s);
    for (bool training : {false, true}) {
      Sequential fused = Sequential::from_spec(specs[s], 21);
      Sequential plain = Sequential::from_spec(specs[s], 21);
      const Tensor y = fused.forward(x, training);
      Tensor z = x;
      for (std::size_t i = 0; i < plain.size(); ++i) z = plain.layer(i).forward(z, training);
      expect_same_bits(y, z, training ? "training output" : "evaluation output");
      if (!training) continue;
      const Tensor dy = random_tensor(y.shape(), 31 + s);
      fused.zero_grad();
      plain.zero_grad();
      const Tensor dx = fused.backward(dy);
      Tensor g = dy;
      for (std::size_t i = plain.size(); i-- > 0;) g = plain.layer(i).backward(g);
      expect_same_bits(dx, g, "input gradient");
      // backward_parameters skips the first layer's input gradient, nothing else.
      Sequential params_only = Sequential::from_spec(specs[s], 21);
      params_only.forward(x, true);
      params_only.zero_grad();
      params_only.backward_parameters(dy);
      const std::vector<Parameter> pf = fused.parameters(), pp = plain.parameters(),
                                   po = params_only.parameters();
      ASSERT_EQ(pf.size(), pp.size());
      ASSERT_EQ(po.size(), pp.size());
      for (std::size_t k = 0; k < pf.size(); ++k) {
        expect_same_bits(*pf[k].grad, *pp[k].grad, "gradient of parameter " + std::to_string(k));
        expect_same_bits(*po[k].grad, *pp[k].grad,
                         "backward_parameters: gradient of parameter " + std::to_string(k));
      }
    }
  }
}

TEST(SequentialForward, OutputIsTheCallersOwnAndEvaluationKeepsNothingForBackward) {
  Sequential m = Sequential::from_spec("dense(3, 4) -> relu", 2);
  const Tensor x = random_tensor({2, 3}, 4);
  Tensor a = m.forward(x, true);
  EXPECT_FALSE(a.is_view());
  const Tensor a_copy = a;
  a.fill(7.0f);  // the caller's tensor: the model's saved output must not change
  m.zero_grad();
  const Tensor dx = m.backward(Tensor({2, 4}, 1.0f));
  Sequential ref = Sequential::from_spec("dense(3, 4) -> relu", 2);
  ref.forward(x, true);
  ref.zero_grad();
  expect_same_bits(dx, ref.backward(Tensor({2, 4}, 1.0f)), "input gradient");
  m.forward(x, false);
  EXPECT_THROW(m.backward(Tensor({2, 4}, 1.0f)), Error);  // evaluation kept nothing
}

TEST(ModelFile, SaveThenLoadGivesIdenticalOutputs) {
  const std::string path = temp_path("roundtrip.bin");
  Sequential m = Sequential::from_spec(Sequential::seed_cnn_spec("prelu", "tanh"), 5);
  // Move the PReLU slopes off their constant start so that they are really checked.
  for (Parameter& p : m.parameters()) {
    if (p.name == "slope") p.value->fill(0.125f);
  }
  m.save(path);
  Sequential loaded = Sequential::load(path);
  EXPECT_EQ(loaded.spec(), m.spec());
  const Tensor x = random_tensor({4, 1, 28, 28}, 3);
  const Tensor a = m.forward(x, false);
  const Tensor b = loaded.forward(x, false);
  ASSERT_EQ(a.shape(), b.shape());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "output " << i;
  std::vector<Parameter> pa = m.parameters();
  std::vector<Parameter> pb = loaded.parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    ASSERT_EQ(pa[i].value->shape(), pb[i].value->shape());
    for (std::size_t k = 0; k < pa[i].value->size(); ++k) {
      ASSERT_EQ((*pa[i].value)[k], (*pb[i].value)[k]) << "parameter " << i << " element " << k;
    }
  }
  std::remove(path.c_str());
}

TEST(ModelFile, DamagedFilesAreCorruptDataWithAClearMessage) {
  const std::string path = temp_path("good.bin");
  const std::string bad = temp_path("bad.bin");
  Sequential m = Sequential::from_spec("dense(3, 4) -> prelu -> dense(4, 2)", 9);
  m.save(path);
  const std::string good = read_bytes(path);
  ASSERT_GT(good.size(), 60u);

  auto expect_corrupt = [&](const std::string& bytes, const std::string& part,
                            const std::string& what) {
    write_bytes(bad, bytes);
    const Error e = error_of([&] { Sequential::load(bad); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData) << what << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
        << what << ": message \"" << e.what() << "\" lacks \"" << part << "\"";
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << "the path is named";
  };
  // Truncated anywhere: inside the magic, the header, the spec, the values, the checksum.
  for (std::size_t keep : {std::size_t{0}, std::size_t{5}, std::size_t{10}, std::size_t{20},
                           good.size() / 2, good.size() - 5, good.size() - 1}) {
    const std::string expected = keep < 8    ? "not an actlab model"
                                 : keep < 16 ? "truncated"
                                             : "checksum";
    expect_corrupt(good.substr(0, keep), expected, "truncated to " + std::to_string(keep));
  }
  // One flipped bit anywhere after the magic and version is caught by the CRC.
  for (std::size_t byte = 12; byte < good.size(); byte += 7) {
    std::string flipped = good;
    flipped[byte] = static_cast<char>(flipped[byte] ^ 0x10);
    expect_corrupt(flipped, "checksum", "bit flipped in byte " + std::to_string(byte));
  }
  std::string version = good;
  version[8] = 2;
  expect_corrupt(version, "version 2", "another version");
  expect_corrupt("P5\n28 28\n255\n" + std::string(100, 'x'), "not an actlab model", "foreign");
  expect_corrupt(good + "extra", "checksum", "bytes appended");

  const Error missing = error_of([&] { Sequential::load(temp_path("does_not_exist.bin")); });
  EXPECT_EQ(missing.code(), ErrorCode::kIo) << missing.what();
  std::remove(path.c_str());
  std::remove(bad.c_str());
}

// Early stopping on a scripted sequence of validation accuracies. The model sees only zero
// inputs, so its prediction is argmax(bias) = class 0 throughout (all training labels are
// 0, which only widens the bias margin); the validation accuracy is then exactly the share
// of validation labels set to 0, which the callback rewrites after every epoch. AdamW's
// decoupled weight decay still changes the weights at every step, so restoring the best
// epoch's weights is observable.
struct StoppingRun {
  TrainResult result;
  std::vector<std::vector<float>> weights_per_epoch;
  std::vector<float> final_weights;
};

StoppingRun run_scripted(const std::vector<double>& script, std::size_t patience) {
  constexpr std::size_t kValidation = 20;
  Sequential model = Sequential::from_spec("dense(2, 2)", 1);
  std::vector<Parameter> params = model.parameters();
  (*params[1].value)[0] = 1.0f;  // bias: class 0 wins
  (*params[1].value)[1] = -1.0f;
  Tensor train_x({8, 2}, 0.0f);
  Tensor train_y({8}, 0.0f);
  Tensor val_x({kValidation, 2}, 0.0f);
  Tensor val_y({kValidation}, 1.0f);
  auto set_accuracy = [&](double accuracy) {
    const auto zeros = static_cast<std::size_t>(accuracy * kValidation + 0.5);
    for (std::size_t i = 0; i < kValidation; ++i) val_y[i] = i < zeros ? 0.0f : 1.0f;
  };
  set_accuracy(script[0]);
  AdamOptions adam;
  adam.lr = 0.05;
  adam.weight_decay = 0.5;
  auto optimizer = make_adamw(params, adam);
  TrainOptions options;
  options.batch_size = 4;
  options.max_epochs = script.size();
  options.patience = patience;
  StoppingRun run;
  auto on_epoch = [&](const EpochRecord& r) {
    EXPECT_NEAR(r.validation_accuracy, script[r.epoch - 1], 1e-12) << "epoch " << r.epoch;
    const Tensor& w = *params[0].value;
    run.weights_per_epoch.emplace_back(w.raw(), w.raw() + w.size());
    if (r.epoch < script.size()) set_accuracy(script[r.epoch]);
    return true;
  };
  run.result = fit(model, *optimizer, {&train_x, &train_y}, {&val_x, &val_y}, options, on_epoch);
  const Tensor& w = *params[0].value;
  run.final_weights.assign(w.raw(), w.raw() + w.size());
  return run;
}

TEST(Fit, EarlyStoppingNeedsAStrictlyBetterScoreAndRestoresTheBest) {
  // Epoch:              1    2    3    4    5     6    7    8    9    10
  const std::vector<double> script = {0.2, 0.5, 0.5, 0.4, 0.55, 0.55, 0.5, 0.55, 0.9, 0.9};
  const StoppingRun run = run_scripted(script, 3);
  // Best 0.55 at epoch 5; epochs 6–8 bring nothing strictly better, so it stops after 8.
  EXPECT_EQ(run.result.best_epoch, 5u);
  EXPECT_DOUBLE_EQ(run.result.best_validation_accuracy, 0.55);
  EXPECT_TRUE(run.result.stopped_early);
  ASSERT_EQ(run.result.history.size(), 8u);
  ASSERT_EQ(run.weights_per_epoch.size(), 8u);
  EXPECT_NE(run.weights_per_epoch[4], run.weights_per_epoch[7]) << "weights must change";
  EXPECT_EQ(run.final_weights, run.weights_per_epoch[4]) << "the best epoch's weights";
}

TEST(Fit, EqualScoresNeverResetPatience) {
  const StoppingRun run = run_scripted(std::vector<double>(12, 0.5), 5);
  EXPECT_EQ(run.result.best_epoch, 1u);
  EXPECT_EQ(run.result.history.size(), 6u);
  EXPECT_TRUE(run.result.stopped_early);
  EXPECT_EQ(run.final_weights, run.weights_per_epoch[0]);
}

TEST(Fit, RunsToTheEpochLimitWhileImproving) {
  const StoppingRun run = run_scripted({0.1, 0.2, 0.3, 0.4}, 2);
  EXPECT_EQ(run.result.best_epoch, 4u);
  EXPECT_EQ(run.result.history.size(), 4u);
  EXPECT_FALSE(run.result.stopped_early);
}

TEST(Fit, ReportsEveryBatchOfEveryEpochInOrder) {
  Sequential model = Sequential::from_spec("dense(2, 2)", 1);
  auto optimizer = make_adamw(model.parameters(), AdamOptions{});
  const Tensor x({10, 2}, 0.5f);
  const Tensor y({10}, 1.0f);
  TrainOptions options;
  options.batch_size = 4;  // 10 examples: batches of 4, 4, 2
  options.max_epochs = 2;
  std::vector<std::vector<std::size_t>> calls;
  options.on_batch = [&](std::size_t epoch, std::size_t done, std::size_t count) {
    calls.push_back({epoch, done, count});
  };
  fit(model, *optimizer, {&x, &y}, {}, options);
  const std::vector<std::vector<std::size_t>> expected = {{1, 1, 3}, {1, 2, 3}, {1, 3, 3},
                                                          {2, 1, 3}, {2, 2, 3}, {2, 3, 3}};
  EXPECT_EQ(calls, expected);
}

TEST(Evaluate, SeedBugLossCannotFallBelowItsFloor) {
  // Perfectly confident, correct logits: cross-entropy → 0, but CE(softmax(·)) over 10
  // classes stays at log(e + 9) − 1 = 1.461150 (EXPERIMENTS.md §1).
  Sequential model = Sequential::from_spec("dense(10, 10, bias=false)", 1);
  Tensor& w = *model.parameters()[0].value;
  w.fill(0.0f);
  for (std::size_t i = 0; i < 10; ++i) w[i * 10 + i] = 100.0f;
  Tensor x({10, 10}, 0.0f);
  Tensor y({10}, 0.0f);
  for (std::size_t i = 0; i < 10; ++i) {
    x[i * 10 + i] = 1.0f;
    y[i] = static_cast<float>(i);
  }
  TrainOptions options;
  const Evaluation right = evaluate(model, {&x, &y}, options);
  EXPECT_NEAR(right.loss, 0.0, 1e-6);
  EXPECT_EQ(right.accuracy, 1.0);
  options.softmax_before_cross_entropy = true;
  const Evaluation bug = evaluate(model, {&x, &y}, options);
  EXPECT_NEAR(bug.loss, 1.4611501, 1e-5);
  EXPECT_EQ(bug.accuracy, 1.0);
}

}  // namespace
}  // namespace actlab::nn
