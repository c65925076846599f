// The table itself: names, aliases, parameters and their validation, shapes.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <functional>
#include <set>
#include <string>

#include "actlab/activation.hpp"
#include "actlab/error.hpp"
#include "actlab/shape.hpp"

namespace actlab {
namespace {

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "expected an actlab::Error";
  return ErrorCode::kIo;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Catalogue, NamesAndAliasesAreUniqueLowercaseIdentifiers) {
  std::set<std::string> seen;
  for (const ActivationInfo& a : catalogue()) {
    std::vector<std::string_view> names{a.name};
    for (std::string_view alias : a.alias_list()) names.push_back(alias);
    for (std::string_view n : names) {
      EXPECT_TRUE(seen.insert(std::string(n)).second) << "'" << n << "' names two activations";
      for (char c : n) {
        EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_')
            << "'" << n << "' has character '" << c << "'";
      }
    }
  }
}

TEST(Catalogue, EveryRowIsComplete) {
  for (const ActivationInfo& a : catalogue()) {
    SCOPED_TRACE(std::string(a.name));
    EXPECT_EQ(&info(a.id), &a);
    EXPECT_FALSE(a.formula.empty());
    EXPECT_FALSE(a.derivative.empty());
    EXPECT_FALSE(a.range.empty());
    EXPECT_FALSE(a.summary.empty());
    EXPECT_LE(a.range_min, a.range_max);
    EXPECT_GE(a.ulp.forward, 0);
    EXPECT_GE(a.ulp.backward, 0);
    EXPECT_GE(a.ulp.backward_floor, 0);
    for (const ParamSpec& p : a.params) {
      EXPECT_FALSE(p.help.empty()) << p.name;
      EXPECT_LE(p.min, p.max) << p.name;
    }
  }
}

TEST(Catalogue, AlongDimRowsTakeADimAndElementwiseRowsDoNot) {
  for (const ActivationInfo& a : catalogue()) {
    bool has_dim = false;
    for (const ParamSpec& p : a.params) has_dim = has_dim || p.name == "dim";
    EXPECT_EQ(has_dim, a.kind == Kind::kAlongDim) << a.name;
  }
}

TEST(Catalogue, TheIssueListIsCovered) {
  // Every activation the foundation issue names, under its own name or an alias.
  for (const char* name :
       {"binary_step", "identity", "linear", "sigmoid", "hard_sigmoid", "log_sigmoid", "tanh",
        "hardtanh", "relu", "relu6", "leaky_relu", "prelu", "rrelu", "elu", "celu", "selu",
        "gelu", "gelu_tanh", "silu", "swish", "hardswish", "mish", "softplus", "softsign",
        "softshrink", "hardshrink", "tanhshrink", "threshold", "softmax", "log_softmax",
        "softmin", "glu", "maxout"}) {
    EXPECT_NO_THROW(find_activation(name)) << name;
  }
}

TEST(Lookup, FindsNamesAliasesAndVariants) {
  EXPECT_EQ(find_activation("relu"), ActivationId::kRelu);
  EXPECT_EQ(find_activation("Leaky-ReLU"), ActivationId::kLeakyRelu);
  EXPECT_EQ(find_activation("swish"), ActivationId::kSilu);
  EXPECT_EQ(find_activation("linear"), ActivationId::kIdentity);
  EXPECT_EQ(find_activation("LOGSIGMOID"), ActivationId::kLogSigmoid);
  for (const ActivationInfo& a : catalogue()) {
    EXPECT_EQ(find_activation(a.name), a.id) << a.name;
    for (std::string_view alias : a.alias_list()) EXPECT_EQ(find_activation(alias), a.id) << alias;
  }
}

TEST(Lookup, UnknownNamesSuggestTheClosest) {
  EXPECT_EQ(code_of([] { find_activation("rleu"); }), ErrorCode::kUnknownName);
  const std::string message = message_of([] { find_activation("rleu"); });
  EXPECT_NE(message.find("did you mean 'relu'"), std::string::npos) << message;
  EXPECT_NE(message_of([] { find_activation("sigmod"); }).find("'sigmoid'"), std::string::npos);
  EXPECT_NE(message_of([] { find_activation("leaky"); }).find("'leaky_relu'"), std::string::npos);
  EXPECT_EQ(closest_names("softmx").front(), "softmax");
}

TEST(Params, DefaultsFollowPyTorch) {
  EXPECT_DOUBLE_EQ(Activation(ActivationId::kLeakyRelu).get("negative_slope"), 0.01);
  EXPECT_DOUBLE_EQ(Activation(ActivationId::kPrelu).get("slope"), 0.25);
  EXPECT_DOUBLE_EQ(Activation(ActivationId::kRrelu).get("lower"), 1.0 / 8);
  EXPECT_DOUBLE_EQ(Activation(ActivationId::kRrelu).get("upper"), 1.0 / 3);
  EXPECT_DOUBLE_EQ(Activation(ActivationId::kElu).get("alpha"), 1.0);
  EXPECT_DOUBLE_EQ(Activation(ActivationId::kSoftplus).get("beta"), 1.0);
  EXPECT_DOUBLE_EQ(Activation(ActivationId::kSoftplus).get("threshold"), 20.0);
  EXPECT_DOUBLE_EQ(Activation(ActivationId::kHardTanh).get("min_val"), -1.0);
  EXPECT_DOUBLE_EQ(Activation(ActivationId::kSoftshrink).get("lambd"), 0.5);
  EXPECT_DOUBLE_EQ(Activation(ActivationId::kSoftmax).get("temperature"), 1.0);
  EXPECT_DOUBLE_EQ(Activation(ActivationId::kSoftmax).get("dim"), -1.0);
  EXPECT_TRUE(info(ActivationId::kPrelu).has_learnable_params());
  EXPECT_FALSE(info(ActivationId::kLeakyRelu).has_learnable_params());
}

TEST(Params, ValuesOutsideTheirRangeAreRejected) {
  for (const ActivationInfo& a : catalogue()) {
    for (const ParamSpec& p : a.params) {
      SCOPED_TRACE(std::string(a.name) + "." + std::string(p.name));
      Activation act(a.id);
      EXPECT_EQ(code_of([&] { act.set(p.name, std::nan("")); }), ErrorCode::kInvalidParameter);
      EXPECT_EQ(code_of([&] { act.set(p.name, kInf); }), ErrorCode::kInvalidParameter);
      if (std::isfinite(p.min)) {
        const double below = p.min_open ? p.min : p.min - 1;
        EXPECT_EQ(code_of([&] { act.set(p.name, below); }), ErrorCode::kInvalidParameter);
      }
      if (std::isfinite(p.max)) {
        const double above = p.max_open ? p.max : p.max + 1;
        EXPECT_EQ(code_of([&] { act.set(p.name, above); }), ErrorCode::kInvalidParameter);
      }
      if (p.is_integer) {
        EXPECT_EQ(code_of([&] { act.set(p.name, p.default_value + 0.5); }),
                  ErrorCode::kInvalidParameter);
      }
      EXPECT_DOUBLE_EQ(act.get(p.name), p.default_value) << "a rejected value was kept";
    }
  }
}

TEST(Params, ConstraintsBetweenParameters) {
  EXPECT_EQ(code_of([] { Activation::parse("rrelu", {{"lower", 0.5}, {"upper", 0.2}}); }),
            ErrorCode::kInvalidParameter);
  EXPECT_NO_THROW(Activation::parse("rrelu", {{"lower", 0.2}, {"upper", 0.2}}));
  EXPECT_EQ(code_of([] { Activation::parse("hardtanh", {{"min_val", 1}, {"max_val", 1}}); }),
            ErrorCode::kInvalidParameter);
  // Both orders work when the final pair is consistent.
  EXPECT_NO_THROW(Activation::parse("hardtanh", {{"min_val", 2}, {"max_val", 3}}));
  EXPECT_NO_THROW(Activation::parse("hardtanh", {{"max_val", -2}, {"min_val", -3}}));
  EXPECT_EQ(code_of([] { Activation::parse("softmax", {{"temperature", 0}}); }),
            ErrorCode::kInvalidParameter);
  EXPECT_EQ(code_of([] { Activation::parse("softmax", {{"temperature", -1}}); }),
            ErrorCode::kInvalidParameter);
}

TEST(Params, UnknownParameterNamesListTheKnownOnes) {
  EXPECT_EQ(code_of([] { Activation::parse("elu", {{"alfa", 1}}); }), ErrorCode::kUnknownName);
  EXPECT_NE(message_of([] { Activation::parse("elu", {{"alfa", 1}}); }).find("alpha"),
            std::string::npos);
  EXPECT_NE(message_of([] { Activation::parse("relu", {{"x", 1}}); }).find("takes none"),
            std::string::npos);
}

TEST(Params, ToStringShowsOnlyChangedValues) {
  EXPECT_EQ(Activation(ActivationId::kLeakyRelu).to_string(), "leaky_relu");
  EXPECT_EQ(Activation::parse("leaky_relu", {{"negative_slope", 0.1}}).to_string(),
            "leaky_relu(negative_slope=0.1)");
}

TEST(Shapes, OutputShapesAndTheirErrors) {
  const Activation glu(ActivationId::kGlu);
  EXPECT_EQ(output_shape(glu, Shape{2, 6}), (Shape{2, 3}));
  EXPECT_EQ(code_of([&] { output_shape(glu, Shape{2, 5}); }), ErrorCode::kInvalidArgument);
  const Activation maxout = Activation::parse("maxout", {{"pieces", 3}, {"dim", 0}});
  EXPECT_EQ(output_shape(maxout, Shape{6, 2}), (Shape{2, 2}));
  EXPECT_EQ(code_of([&] { output_shape(maxout, Shape{4, 2}); }), ErrorCode::kInvalidArgument);
  const Activation softmax = Activation::parse("softmax", {{"dim", 2}});
  EXPECT_EQ(code_of([&] { output_shape(softmax, Shape{4, 2}); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(output_shape(Activation(ActivationId::kRelu), Shape{3, 4}), (Shape{3, 4}));
  const DimSplit split = split_at_dim(Shape{2, 3, 4}, -2);
  EXPECT_EQ(split.outer, 2u);
  EXPECT_EQ(split.size, 3u);
  EXPECT_EQ(split.inner, 4u);
}

}  // namespace
}  // namespace actlab
