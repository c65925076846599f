// The command-line program: the worked examples through the CLI, its outputs, and its
// error paths with their documented exit codes (docs/cli.md).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "actlab/activation.hpp"
#include "support/test_support.hpp"

namespace actlab {
namespace {

using test::run_cli;

nlohmann::json eval_json(const std::string& args) {
  const auto r = run_cli("eval --json " + args);
  EXPECT_EQ(r.exit_code, 0) << "actlab eval " << args << "\n" << r.err;
  return nlohmann::json::parse(r.out);
}

// Values in the JSON rows of an elementwise eval.
std::vector<double> column(const nlohmann::json& j, const char* key) {
  std::vector<double> out;
  for (const auto& row : j.at("values")) out.push_back(row.at(key).get<double>());
  return out;
}

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double tol,
                     const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], tol) << what << " at index " << i;
  }
}

// EXPERIMENTS.md §6, printed to 7 decimals: equal when within half a unit of the 7th.
constexpr double k7 = 0.5e-7;

TEST(CliWorkedExamples, SigmoidOfThePerceptronSum) {
  expect_near_all(column(eval_json("sigmoid 0.53"), "f"), {0.6294831}, k7, "sigmoid(0.53)");
  expect_near_all(column(eval_json("sigmoid 0.53 --float"), "f"), {0.6294831}, k7, "float");
}

TEST(CliWorkedExamples, SigmoidTanhReluOfTheSeedTensors) {
  expect_near_all(column(eval_json("sigmoid -1 0 1"), "f"), {0.2689414, 0.5, 0.7310586}, k7,
                  "sigmoid");
  expect_near_all(column(eval_json("tanh -1 0 1"), "f"), {-0.7615942, 0, 0.7615942}, k7, "tanh");
  expect_near_all(column(eval_json("relu -1 2 -3 4 -5 6"), "f"), {0, 2, 0, 4, 0, 6}, 0, "relu");
  expect_near_all(column(eval_json("sigmoid 0"), "df"), {0.25}, 0, "max sigmoid'");
}

TEST(CliWorkedExamples, SoftmaxOfTheSeedLogits) {
  const auto j = eval_json("softmax 2 1 0.1");
  expect_near_all(j.at("y").get<std::vector<double>>(), {0.6590011, 0.2424330, 0.0985659}, k7,
                  "softmax");
  const auto f = eval_json("softmax 2 1 0.1 --float");
  expect_near_all(f.at("y").get<std::vector<double>>(), {0.6590011, 0.2424330, 0.0985659}, k7,
                  "softmax float");
}

TEST(CliWorkedExamples, SiluMinimumEluDerivativeAndTanhIdentity) {
  const auto silu = eval_json("silu -1.2784645");
  expect_near_all(column(silu, "f"), {-0.2784645}, k7, "silu minimum value");
  expect_near_all(column(silu, "df"), {0}, 1e-7, "silu' at its minimum");
  expect_near_all(column(eval_json("elu -1"), "df"), {0.3678794}, k7, "elu'(-1)");
  // 2·sigmoid(2x) − 1 = tanh(x), checked at a few points through the CLI.
  const auto sig = column(eval_json("sigmoid -4 -1 0.3 2.5"), "f");
  const auto th = column(eval_json("tanh -2 -0.5 0.15 1.25"), "f");
  for (std::size_t i = 0; i < sig.size(); ++i) EXPECT_NEAR(2 * sig[i] - 1, th[i], 1e-15) << i;
}

TEST(CliWorkedExamples, ExamplesCommandMatchesEveryOne) {
  const auto r = run_cli("examples --json");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("failures").get<int>(), 0);
  EXPECT_GE(j.at("examples").size(), 12u);
  for (const auto& e : j.at("examples")) EXPECT_TRUE(e.at("ok").get<bool>()) << e.dump();
}

TEST(CliOutput, ListHasEveryActivationInTextAndJson) {
  const auto text = run_cli("list");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  for (const ActivationInfo& a : catalogue()) {
    EXPECT_NE(text.out.find("\n" + std::string(a.name) + " "), std::string::npos) << a.name;
  }
  const auto js = run_cli("list --json");
  ASSERT_EQ(js.exit_code, 0) << js.err;
  const auto rows = nlohmann::json::parse(js.out);
  ASSERT_EQ(rows.size(), kActivationCount);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].at("name").get<std::string>(), catalogue()[i].name);
    for (const char* key : {"formula", "derivative", "range", "zero_centred", "monotonic", "smooth",
                            "cost", "learnable", "backward_from", "max_ulp_forward", "params"}) {
      EXPECT_TRUE(rows[i].contains(key)) << rows[i].at("name") << " lacks " << key;
    }
  }
}

TEST(CliOutput, DocsCatalogueIsGeneratedFromTheTable) {
  const auto r = run_cli("list --markdown");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream file(std::string(ACTLAB_SOURCE_DIR) + "/docs/activations.md");
  std::stringstream content;
  content << file.rdbuf();
  EXPECT_EQ(content.str(), r.out)
      << "docs/activations.md is out of date: run 'build/bin/actlab list --markdown > "
         "docs/activations.md'";
}

TEST(CliOutput, ShowExplainsOneActivation) {
  const auto r = run_cli("show leaky-relu");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* part : {"leaky_relu", "negative_slope", "0.01", "monotonic", "f'(x)"}) {
    EXPECT_NE(r.out.find(part), std::string::npos) << part << " missing from\n" << r.out;
  }
  const auto j = run_cli("show prelu --json");
  ASSERT_EQ(j.exit_code, 0);
  EXPECT_TRUE(nlohmann::json::parse(j.out).at("learnable").get<bool>());
}

TEST(CliOutput, AlongDimEvalTakesDimTemperatureAndShape) {
  // Softmax over dim 0 of a 2×2 array: each column sums to 1.
  const auto j = eval_json("softmax --shape 2,2 --dim 0 1 2 3 5");
  const auto y = j.at("y").get<std::vector<double>>();
  ASSERT_EQ(y.size(), 4u);
  EXPECT_NEAR(y[0] + y[2], 1, 1e-15);
  EXPECT_NEAR(y[1] + y[3], 1, 1e-15);
  EXPECT_NEAR(y[0], 1 / (1 + std::exp(2.0)), 1e-15);
  // A high temperature flattens: T = 1000 puts every class near 1/3.
  const auto flat = eval_json("softmax --temperature 1000 2 1 0.1").at("y").get<std::vector<double>>();
  for (double p : flat) EXPECT_NEAR(p, 1.0 / 3, 1e-3);
  // glu halves the vector.
  EXPECT_EQ(eval_json("glu 1 2 3 4").at("y").size(), 2u);
}

TEST(CliOutput, ParametersChangeTheResult) {
  expect_near_all(column(eval_json("leaky_relu --param negative_slope=0.1 -2"), "f"), {-0.2}, 1e-15,
                  "leaky 0.1");
  expect_near_all(column(eval_json("elu -p alpha=2 -1"), "df"), {2 * std::exp(-1.0)}, 1e-15, "elu");
}

struct ErrorCase {
  const char* args;
  int exit_code;
  const char* message_part;
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << "actlab " << c.args; }

class CliErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(CliErrors, ExitCodeAndMessage) {
  const ErrorCase& c = GetParam();
  const auto r = run_cli(c.args);
  EXPECT_EQ(r.exit_code, c.exit_code) << "actlab " << c.args << "\n" << r.err;
  EXPECT_NE(r.err.find(c.message_part), std::string::npos)
      << "actlab " << c.args << " said:\n" << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    DocumentedCodes, CliErrors,
    ::testing::Values(
        ErrorCase{"eval rleu 1", 3, "did you mean 'relu'"},
        ErrorCase{"show sigmod", 3, "did you mean 'sigmoid'"},
        ErrorCase{"eval elu -p alfa=1 1", 3, "has no parameter 'alfa'"},
        ErrorCase{"eval softmax --temperature 0 1 2", 4, "temperature"},
        ErrorCase{"eval softmax --temperature -2 1 2", 4, "outside its valid range"},
        ErrorCase{"eval rrelu -p lower=0.5 -p upper=0.2 -1", 4, "must not exceed"},
        ErrorCase{"eval hardtanh -p min_val=2 0", 4, "must be less than"},
        ErrorCase{"eval elu -p alpha=abc 1", 4, "is not a number"},
        ErrorCase{"eval elu -p alpha 1", 4, "NAME=VALUE"},
        ErrorCase{"eval maxout -p pieces=1.5 1 2", 4, "whole number"},
        ErrorCase{"eval relu --dim 0 1", 4, "takes no --dim"},
        ErrorCase{"eval relu one", 5, "is not a number"},
        ErrorCase{"eval relu", 5, "at least one value"},
        ErrorCase{"eval glu 1 2 3", 5, "odd"},
        ErrorCase{"eval softmax --dim 1 1 2 3", 5, "out of range"},
        ErrorCase{"eval softmax --shape 2,2 1 2 3", 5, "--shape holds 4 values"},
        ErrorCase{"eval --bogus relu 1", 2, "--bogus"},
        ErrorCase{"frobnicate", 2, "unknown command 'frobnicate'"},
        ErrorCase{"", 2, "subcommand"}));

TEST(CliHelp, EveryCommandHasHelp) {
  for (const char* cmd : {"", "list ", "show ", "eval ", "examples "}) {
    const auto r = run_cli(std::string(cmd) + "--help");
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd << ":\n" << r.out;
  }
}

}  // namespace
}  // namespace actlab
