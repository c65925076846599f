// The tutorials' small experiments reach the outcomes the tutorials report.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "actlab/experiments.hpp"
#include "support/test_support.hpp"

namespace actlab::experiments {
namespace {

TEST(Perceptron, LearnsAndAndOrOverManySeeds) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    EXPECT_EQ(train_perceptron(Gate::kAnd, seed).accuracy, 1.0) << "AND, seed " << seed;
    EXPECT_EQ(train_perceptron(Gate::kOr, seed).accuracy, 1.0) << "OR, seed " << seed;
  }
}

TEST(Perceptron, NeverSolvesXor) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto r = train_perceptron(Gate::kXor, seed);
    EXPECT_LT(r.accuracy, 1.0) << "seed " << seed;
    for (double a : r.accuracy_per_epoch) ASSERT_LT(a, 1.0) << "seed " << seed;
  }
}

TEST(Perceptron, IsDeterministicGivenASeed) {
  const auto a = train_perceptron(Gate::kOr, 7), b = train_perceptron(Gate::kOr, 7);
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.bias, b.bias);
  EXPECT_NE(train_perceptron(Gate::kOr, 8).weights, a.weights);
}

TEST(Perceptron, DecisionRegionsAgreeWithTheCorners) {
  const auto r = train_perceptron(Gate::kAnd, 3);
  const auto grid = perceptron_regions(r, 101);
  ASSERT_EQ(grid.size(), 101u * 101u);
  // Row = second input, column = first: the corners are the four gate inputs.
  EXPECT_EQ(grid[0], r.predictions[0]);                 // (0, 0)
  EXPECT_EQ(grid[100 * 101], r.predictions[1]);         // (0, 1)
  EXPECT_EQ(grid[100], r.predictions[2]);               // (1, 0)
  EXPECT_EQ(grid[100 * 101 + 100], r.predictions[3]);   // (1, 1)
}

TEST(PerceptronCli, PrintsJsonAndRejectsUnknownGates) {
  const auto ok = test::run_cli("perceptron --gate or --json");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const auto j = nlohmann::json::parse(ok.out);
  EXPECT_EQ(j.at("accuracy").get<double>(), 1.0);
  EXPECT_EQ(j.at("accuracy_per_epoch").size(), 1000u);
  const auto bad = test::run_cli("perceptron --gate nand");
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.err.find("unknown gate 'nand'"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace actlab::experiments
