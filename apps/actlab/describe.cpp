#include "describe.hpp"

#include <cmath>

#include <fmt/format.h>

namespace actlab::cli {

std::string cost_text(Cost cost) {
  switch (cost) {
    case Cost::kLow: return "low";
    case Cost::kMedium: return "medium";
    case Cost::kHigh: return "high";
  }
  return "?";
}

std::string backward_text(BackwardFrom from) {
  return from == BackwardFrom::kInput ? "input" : "output";
}

std::string yes_no(bool value) { return value ? "yes" : "no"; }

std::string number_text(double value) {
  if (value == kInf) return "∞";
  if (value == -kInf) return "−∞";
  return fmt::format("{:.10g}", value);
}

std::string params_text(const ActivationInfo& info) {
  std::string out;
  for (const ParamSpec& p : info.params) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{}={}", p.name, number_text(p.default_value));
  }
  return out.empty() ? "—" : out;
}

std::string interval_text(const ParamSpec& p) {
  // Infinite ends are always open.
  return fmt::format("{}{}, {}{}", p.min_open || p.min == -kInf ? "(" : "[", number_text(p.min),
                     number_text(p.max), p.max_open || p.max == kInf ? ")" : "]");
}

namespace {

nlohmann::json finite_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json to_json(const ActivationInfo& info) {
  nlohmann::json params = nlohmann::json::array();
  for (const ParamSpec& p : info.params) {
    params.push_back({{"name", p.name},
                      {"default", p.default_value},
                      {"min", finite_or_null(p.min)},
                      {"max", finite_or_null(p.max)},
                      {"min_open", p.min_open},
                      {"max_open", p.max_open},
                      {"integer", p.is_integer},
                      {"learnable", p.learnable},
                      {"help", p.help}});
  }
  nlohmann::json aliases = nlohmann::json::array();
  for (std::string_view a : info.alias_list()) aliases.push_back(a);
  return {{"name", info.name},
          {"aliases", aliases},
          {"kind", info.kind == Kind::kElementwise ? "elementwise" : "along_dim"},
          {"params", params},
          {"formula", info.formula},
          {"derivative", info.derivative},
          {"range", info.range},
          {"range_min", finite_or_null(info.range_min)},
          {"range_max", finite_or_null(info.range_max)},
          {"zero_centred", info.zero_centred},
          {"monotonic", info.monotonic},
          {"smooth", info.smooth},
          {"cost", cost_text(info.cost)},
          {"learnable", info.has_learnable_params()},
          {"backward_from", backward_text(info.backward_from)},
          {"max_ulp_forward", info.ulp.forward},
          {"max_ulp_backward", info.ulp.backward},
          {"ulp_floor_backward", info.ulp.backward_floor},
          {"torch", info.torch},
          {"summary", info.summary}};
}

std::string catalogue_markdown() {
  std::string out =
      "# The activation catalogue\n\n"
      "Generated from `include/actlab/activations.def` by `actlab list --markdown`; "
      "a test fails when this file falls behind the table. Defaults follow PyTorch 1.13. "
      "Zero-centred: f(0) = 0 and |mean|/rms of f(X) for X ~ N(0, 1) below 0.45. "
      "Smooth: continuously differentiable. Cost: low = compares and multiplies, medium = one "
      "transcendental, high = two or more. ULP: the float32 kernels' error bound against the "
      "double reference, forward / backward (see conventions.md).\n\n"
      "| name | aliases | parameters | range | zero-centred | monotonic | smooth | cost | "
      "learnable | backward from | ULP fwd / bwd |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const ActivationInfo& a : catalogue()) {
    out += fmt::format("| [{}](#{}) | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} |\n",
                       a.name, a.name, a.aliases.empty() ? "—" : std::string(a.aliases),
                       params_text(a), a.range, yes_no(a.zero_centred), yes_no(a.monotonic),
                       yes_no(a.smooth), cost_text(a.cost), yes_no(a.has_learnable_params()),
                       backward_text(a.backward_from), number_text(a.ulp.forward),
                       number_text(a.ulp.backward));
  }
  for (const ActivationInfo& a : catalogue()) {
    out += fmt::format("\n## {}\n\n{}\n\n- f(x) = {}\n- f′(x): {}\n", a.name, a.summary,
                       a.formula, a.derivative);
    for (const ParamSpec& p : a.params) {
      out += fmt::format("- parameter `{}` = {} in {}{}{}: {}\n", p.name,
                         number_text(p.default_value), interval_text(p),
                         p.is_integer ? ", whole" : "", p.learnable ? ", learnable" : "", p.help);
    }
    out += fmt::format("- PyTorch: {}\n", a.torch.empty() ? "none" : std::string(a.torch));
  }
  return out;
}

}  // namespace actlab::cli
