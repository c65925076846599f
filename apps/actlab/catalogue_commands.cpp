// actlab list | show | eval: the catalogue and single evaluations.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actlab/activation.hpp"
#include "actlab/error.hpp"
#include "actlab/kernels.hpp"
#include "actlab/reference.hpp"
#include "actlab/shape.hpp"
#include "cli.hpp"
#include "describe.hpp"

namespace actlab::cli {

double parse_number(const std::string& text, const std::string& what, bool is_parameter) {
  const ErrorCode code = is_parameter ? ErrorCode::kInvalidParameter : ErrorCode::kInvalidArgument;
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    throw Error(code, what + " '" + text + "' is not a number");
  }
  if (errno == ERANGE && std::isinf(value)) {
    throw Error(code, what + " '" + text + "' is too large for a double");
  }
  return value;
}

std::vector<std::pair<std::string, double>> parse_params(const std::vector<std::string>& items) {
  std::vector<std::pair<std::string, double>> out;
  for (const std::string& item : items) {
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(ErrorCode::kInvalidParameter,
                  "--param expects NAME=VALUE (for example alpha=0.5), got '" + item + "'");
    }
    const std::string key = item.substr(0, eq);
    out.emplace_back(key, parse_number(item.substr(eq + 1), "parameter " + key, true));
  }
  return out;
}

namespace {

void print_list(bool as_json, bool as_markdown) {
  if (as_markdown) {
    std::cout << catalogue_markdown();
    return;
  }
  if (as_json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const ActivationInfo& a : catalogue()) rows.push_back(to_json(a));
    std::cout << rows.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("{:<13} {:<38} {:<24} {:<5} {:<5} {:<6} {:<6} {:<5} {:<6} {}\n",
                           "name", "parameters (defaults)", "range", "zero", "mono",
                           "smooth", "cost", "learn", "bwd", "ulp f/b");
  for (const ActivationInfo& a : catalogue()) {
    std::cout << fmt::format("{:<13} {:<38} {:<24} {:<5} {:<5} {:<6} {:<6} {:<5} {:<6} {}/{}\n",
                             a.name, params_text(a), a.range.substr(0, a.range.find(" (")),
                             yes_no(a.zero_centred), yes_no(a.monotonic), yes_no(a.smooth),
                             cost_text(a.cost), yes_no(a.has_learnable_params()),
                             backward_text(a.backward_from), number_text(a.ulp.forward),
                             number_text(a.ulp.backward));
  }
  std::cout << fmt::format("\n{} activations. 'actlab show NAME' explains one; "
                           "'actlab eval NAME X…' computes it.\n",
                           catalogue().size());
}

void print_show(const std::string& name, bool as_json) {
  const ActivationInfo& a = info(find_activation(name));
  if (as_json) {
    std::cout << to_json(a).dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("{} — {}\n\n", a.name, a.summary);
  if (!a.aliases.empty()) std::cout << fmt::format("  aliases        {}\n", a.aliases);
  std::cout << fmt::format("  kind           {}\n",
                           a.kind == Kind::kElementwise ? "elementwise" : "along a dimension");
  std::cout << fmt::format("  f(x)           {}\n", a.formula);
  std::cout << fmt::format("  f'(x)          {}\n", a.derivative);
  std::cout << fmt::format("  range          {}\n", a.range);
  std::cout << fmt::format("  zero-centred   {}\n", yes_no(a.zero_centred));
  std::cout << fmt::format("  monotonic      {}\n", yes_no(a.monotonic));
  std::cout << fmt::format("  smooth (C¹)    {}\n", yes_no(a.smooth));
  std::cout << fmt::format("  cost           {}\n", cost_text(a.cost));
  std::cout << fmt::format("  backward reads the {}\n", backward_text(a.backward_from));
  std::cout << fmt::format("  float32 error  ≤ {} ULP forward, ≤ {} ULP backward\n",
                           number_text(a.ulp.forward), number_text(a.ulp.backward));
  std::cout << fmt::format("  PyTorch        {}\n", a.torch.empty() ? "none" : std::string(a.torch));
  if (a.params.size() == 0) {
    std::cout << "  parameters     none\n";
    return;
  }
  std::cout << "  parameters\n";
  for (const ParamSpec& p : a.params) {
    std::cout << fmt::format("    {:<15} default {:<8} valid {}{}{}  {}\n", p.name,
                             number_text(p.default_value), interval_text(p),
                             p.is_integer ? ", whole" : "", p.learnable ? ", learnable" : "",
                             p.help);
  }
}

struct EvalOptions {
  std::string name;
  std::vector<std::string> params;
  std::vector<std::string> values;
  std::vector<std::size_t> shape;
  std::string dim;          // parsed here, so a bad value is an invalid parameter (exit 4)
  std::string temperature;
  bool use_kernel = false;
  bool as_json = false;
};

Activation activation_from(const EvalOptions& o) {
  auto params = parse_params(o.params);
  const bool dim_given = !o.dim.empty();
  const bool temperature_given = !o.temperature.empty();
  if (dim_given || temperature_given) {
    const ActivationInfo& a = info(find_activation(o.name));
    const auto takes = [&](std::string_view p) {
      for (const ParamSpec& s : a.params) {
        if (s.name == p) return true;
      }
      return false;
    };
    if (dim_given && !takes("dim")) {
      throw Error(ErrorCode::kInvalidParameter, std::string(a.name) + " takes no --dim (it is elementwise)");
    }
    if (temperature_given && !takes("temperature")) {
      throw Error(ErrorCode::kInvalidParameter, std::string(a.name) + " takes no --temperature");
    }
    if (dim_given) params.emplace_back("dim", parse_number(o.dim, "--dim", true));
    if (temperature_given) {
      params.emplace_back("temperature", parse_number(o.temperature, "--temperature", true));
    }
  }
  return Activation::parse(o.name, params);
}

void eval_elementwise(const Activation& act, const std::vector<double>& xs, const EvalOptions& o) {
  std::vector<double> fs(xs.size()), ds(xs.size());
  if (o.use_kernel) {
    std::vector<float> src(xs.begin(), xs.end()), dst(xs.size()), grad(xs.size(), 1.0f),
        diff(xs.size());
    kernels::forward(act, src, dst);
    kernels::backward(act, act.info().backward_from == BackwardFrom::kInput ? src : dst, grad, diff);
    for (std::size_t i = 0; i < xs.size(); ++i) {
      fs[i] = dst[i];
      ds[i] = diff[i];
    }
  } else {
    for (std::size_t i = 0; i < xs.size(); ++i) {
      fs[i] = reference::forward(act, xs[i]);
      ds[i] = reference::derivative(act, xs[i]);
    }
  }
  const char* source = o.use_kernel ? "float32 kernel" : "double reference";
  if (o.as_json) {
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t i = 0; i < xs.size(); ++i) {
      // JSON has no NaN or infinity: such values are written as strings.
      const auto num = [](double v) {
        return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(fmt::format("{}", v));
      };
      rows.push_back({{"x", num(xs[i])}, {"f", num(fs[i])}, {"df", num(ds[i])}});
    }
    std::cout << nlohmann::json{{"activation", act.to_string()}, {"source", source}, {"values", rows}}
                     .dump(2)
              << "\n";
    return;
  }
  std::cout << fmt::format("{} ({})\n{:>16} {:>18} {:>18}\n", act.to_string(), source, "x",
                           "f(x)", "f'(x)");
  const int digits = o.use_kernel ? 9 : 10;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    std::cout << fmt::format("{:>16.{}g} {:>18.{}g} {:>18.{}g}\n", xs[i], digits, fs[i], digits,
                             ds[i], digits);
  }
}

void eval_along_dim(const Activation& act, const std::vector<double>& xs, const EvalOptions& o) {
  const Shape shape = o.shape.empty() ? Shape{xs.size()} : Shape(o.shape.begin(), o.shape.end());
  if (element_count(shape) != xs.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("--shape holds {} values but {} were given", element_count(shape),
                            xs.size()));
  }
  const Shape out_shape = output_shape(act, shape);
  const std::size_t n_out = element_count(out_shape);
  std::vector<double> ys(n_out);
  // Jacobian row i = J(x)ᵀ·e_i, from the backward pass with a one-hot upstream gradient.
  std::vector<std::vector<double>> jacobian(n_out, std::vector<double>(xs.size()));
  if (o.use_kernel) {
    std::vector<float> src(xs.begin(), xs.end()), dst(n_out), diff(xs.size());
    kernels::forward(act, shape, src, dst);
    for (std::size_t i = 0; i < n_out; ++i) {
      std::vector<float> one_hot(n_out, 0.0f);
      one_hot[i] = 1.0f;
      kernels::backward(act, shape, act.info().backward_from == BackwardFrom::kInput ? src : dst,
                        one_hot, diff);
      jacobian[i].assign(diff.begin(), diff.end());
    }
    ys.assign(dst.begin(), dst.end());
  } else {
    reference::forward(act, shape, xs, ys);
    for (std::size_t i = 0; i < n_out; ++i) {
      std::vector<double> one_hot(n_out, 0.0);
      one_hot[i] = 1.0;
      reference::backward(act, shape, xs, one_hot, jacobian[i]);
    }
  }
  const char* source = o.use_kernel ? "float32 kernel" : "double reference";
  if (o.as_json) {
    std::cout << nlohmann::json{{"activation", act.to_string()}, {"source", source},
                                {"shape", shape}, {"output_shape", out_shape}, {"x", xs},
                                {"y", ys}, {"jacobian", jacobian}}
                     .dump(2)
              << "\n";
    return;
  }
  const auto row = [](const std::vector<double>& v) {
    std::string out;
    for (double e : v) out += fmt::format(" {:>12.7g}", e);
    return out;
  };
  std::cout << fmt::format("{} ({}), shape ({}) → ({})\n", act.to_string(), source,
                           fmt::join(shape, ", "), fmt::join(out_shape, ", "));
  std::cout << "  x   " << row(xs) << "\n  f(x)" << row(ys) << "\n  ∂f_i/∂x_j (row i):\n";
  for (std::size_t i = 0; i < n_out; ++i) std::cout << "      " << row(jacobian[i]) << "\n";
}

void run_eval(const EvalOptions& o) {
  const Activation act = activation_from(o);
  if (o.values.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "give at least one value X to evaluate");
  }
  std::vector<double> xs;
  for (const std::string& v : o.values) xs.push_back(parse_number(v, "value", false));
  if (act.info().kind == Kind::kElementwise) {
    if (!o.shape.empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  std::string(act.name()) + " is elementwise: --shape is for along-dim activations");
    }
    eval_elementwise(act, xs, o);
  } else {
    eval_along_dim(act, xs, o);
  }
}

}  // namespace

void add_list_command(CLI::App& app, int& /*exit_code*/) {
  auto* cmd = app.add_subcommand("list", "The catalogue: every activation and its properties");
  auto as_json = std::make_shared<bool>(false);
  auto as_markdown = std::make_shared<bool>(false);
  cmd->add_flag("--json", *as_json, "Every field of the table as JSON");
  cmd->add_flag("--markdown", *as_markdown, "The docs/activations.md page");
  cmd->callback([as_json, as_markdown] { print_list(*as_json, *as_markdown); });
}

void add_show_command(CLI::App& app, int& /*exit_code*/) {
  auto* cmd = app.add_subcommand("show", "One activation: formula, derivative, properties, parameters");
  auto name = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  cmd->add_option("name", *name, "Activation name or alias")->required();
  cmd->add_flag("--json", *as_json, "As JSON");
  cmd->callback([name, as_json] { print_show(*name, *as_json); });
}

void add_eval_command(CLI::App& app, int& /*exit_code*/) {
  auto* cmd = app.add_subcommand(
      "eval",
      "f and f' at each X (double reference; --float for the float32 kernels).\n"
      "Along-dim activations (softmax, log_softmax, softmin, glu, maxout) take the X as one\n"
      "vector (or an array with --shape) and print the output and the Jacobian.\n"
      "Negative values work as they are: actlab eval tanh -1 0 1");
  auto o = std::make_shared<EvalOptions>();
  cmd->add_option("name", o->name, "Activation name or alias")->required();
  cmd->add_option("values", o->values, "The inputs X");
  cmd->add_option("-p,--param", o->params, "A parameter, NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--dim", o->dim, "Dimension for along-dim activations (default −1, the last)");
  cmd->add_option("--temperature", o->temperature, "Softmax-family temperature T > 0");
  cmd->add_option("--shape", o->shape, "Shape of the X array, e.g. --shape 2,3")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_flag("--float", o->use_kernel, "Use the float32 kernels instead of the double reference");
  cmd->add_flag("--json", o->as_json, "As JSON");
  cmd->callback([o] { run_eval(*o); });
}

}  // namespace actlab::cli
