// PyTorch 1.13 as an oracle for every activation of the catalogue.
//
// The test generates cases (every activation, every parameter setting of
// test::parameter_settings, seeded random inputs at three scales plus extremal values and
// the kinks), writes them as JSON, runs tests/oracle/torch_oracle.py ONCE with Debian's
// /usr/bin/python3 (which has python3-torch), and compares:
//  (a) actlab::reference (double) with torch float64, forward and input gradient, to 1e-12
//      relative: this checks the reference's semantics (conventions at kinks, thresholds,
//      what each parameter means) against PyTorch, which is the spec for conventions;
//  (b) actlab::kernels (float32) with torch float64, within the row's ULP bound, and
//      reports (never asserts) how far torch's own float32 is from the same values.
// Where torch float64 is known to be wrong (kTorchDefects) actlab is compared with the
// correct value instead and the point is listed. Activations torch lacks are listed
// ("not in torch: ...") and must be exactly the rows whose `.torch` is "". If the script
// fails (no torch, an exception) the test fails with its stderr: it never skips.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "actlab/activation.hpp"
#include "actlab/kernels.hpp"
#include "actlab/reference.hpp"
#include "actlab/shape.hpp"
#include "support/splitmix.hpp"
#include "support/test_support.hpp"

namespace actlab {
namespace {

using nlohmann::json;

constexpr double kInfD = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kInfF = std::numeric_limits<float>::infinity();
constexpr double kDoubleEps = 0x1p-52;
// (a): relative tolerance, plus an absolute allowance of kAllowanceEps·ε·max(1, |x|)
// (times |grad_output| for gradients). PyTorch's float64 formulas are accurate to a few ε
// of their O(max(1, |x|)) intermediate values, not always relative to the result: e.g.
// gelu(−7) through 1 + erf, or sigmoid'(x) = y·(1 − y) from the output for large x
// (measured with mpmath: at most 2.4 ε·max(1, |x|)). A wrong convention or parameter
// meaning is off by far more. Points that pass only thanks to the allowance are counted
// and the worst one is printed ("torch f64 imprecise"), so nothing passes unseen.
constexpr double kRelTol = 1e-12;
constexpr double kAllowanceEps = 8;
// Failures printed per activation; ACTLAB_TORCH_ORACLE_PRINT=n prints n.
std::size_t max_printed() {
  const char* n = std::getenv("ACTLAB_TORCH_ORACLE_PRINT");
  return n != nullptr ? static_cast<std::size_t>(std::strtoul(n, nullptr, 10)) : 6;
}

// ---------------------------------------------------------------------------- inputs

using Random = actlab::test::SplitMix64;

struct Case {
  std::size_t id = 0;
  Activation act{ActivationId::kIdentity};  // parameters rounded to float, as the kernels use them
  Shape shape;
  std::vector<float> x;
  // Output's size: ±2^k for elementwise cases (see Random::power_of_two); uniform in
  // [−1, 1) along a dim, where few distinct values would make dy_i − Σ dy_j·y_j cancel
  // exactly in softmax's backward far too often.
  std::vector<float> grad_output;
  std::string where;  // "on 12×5, scale 10"
  // Rows with backward_from = kOutput: the kernels' float forward output, from which their
  // backward works. It only tells the point x̂ = f⁻¹(y) it stands for, so their gradient
  // is judged against the derivative there (the measuring rule of tests/kernel_test.cpp);
  // the oracle evaluates it.
  std::vector<float> saved_output;
};

std::string shape_text(const Shape& shape) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s.append("×");
    s.append(std::to_string(shape[i]));
  }
  return s;
}

std::string number(double v) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

bool has_param(const Activation& act, std::string_view name) {
  for (const ParamSpec& p : act.info().params) {
    if (p.name == name) return true;
  }
  return false;
}

// The settings of test::parameter_settings, plus temperature 2 for the softmax family,
// with parameters rounded to float.
std::vector<Activation> settings_of(ActivationId id) {
  std::vector<Activation> settings = test::parameter_settings(id);
  if (has_param(Activation(id), "temperature"))
    settings.push_back(Activation(id).set("temperature", 2.0));
  for (Activation& a : settings) a = test::with_float_params(a);
  return settings;
}

// Extremal values, the kinks (fixed ones and those the parameters put somewhere, with
// their float neighbours) and 200 random values at each scale ±1, ±10, ±100.
std::vector<float> elementwise_inputs(const Activation& act, Random& rng) {
  std::vector<float> xs = {0.0f,
                           -0.0f,
                           1e-30f,
                           -1e-30f,
                           1e-8f,
                           -1e-8f,
                           20.0f,
                           -20.0f,
                           88.0f,
                           -88.0f,
                           89.0f,
                           -89.0f,
                           1e4f,
                           -1e4f,
                           kInfF,
                           -kInfF,
                           std::numeric_limits<float>::quiet_NaN()};
  // Parameter kinks: each parameter p, and p/q, p·q for two of them (softplus switches
  // to x at x = threshold/beta).
  std::vector<double> kinks = {0.5, 1, 2, 3, 6};
  const std::span<const double> p = act.values();
  for (std::size_t i = 0; i < p.size(); ++i) {
    kinks.push_back(p[i]);
    for (std::size_t j = 0; j < p.size(); ++j) {
      if (i == j) continue;
      kinks.push_back(p[i] * p[j]);
      if (p[j] != 0) kinks.push_back(p[i] / p[j]);
    }
  }
  for (double k : kinks) {
    for (double signed_k : {k, -k}) {
      const float f = static_cast<float>(signed_k);
      if (!std::isfinite(f)) continue;
      xs.insert(xs.end(), {f, std::nextafter(f, kInfF), std::nextafter(f, -kInfF)});
    }
  }
  for (double scale : {1.0, 10.0, 100.0}) {
    for (int i = 0; i < 200; ++i) xs.push_back(rng.symmetric(scale));
  }
  return xs;
}

// Distinct values: ties get a row of their own (see make_cases).
std::vector<float> distinct_random(std::size_t n, double scale, Random& rng) {
  std::set<float> seen;
  std::vector<float> xs;
  while (xs.size() < n) {
    const float v = rng.symmetric(scale);
    if (seen.insert(v).second) xs.push_back(v);
  }
  return xs;
}

std::vector<Case> make_cases() {
  std::vector<Case> cases;
  Random rng(20250301);
  auto add = [&](const Activation& act, Shape shape, std::vector<float> x, std::string where) {
    Case c;
    c.id = cases.size();
    c.act = act;
    c.shape = std::move(shape);
    c.x = std::move(x);
    const std::size_t n_out = element_count(output_shape(act, c.shape));
    const bool elementwise = act.info().kind == Kind::kElementwise;
    for (std::size_t i = 0; i < n_out; ++i) {
      c.grad_output.push_back(elementwise ? rng.power_of_two() : rng.symmetric(1.0));
    }
    c.where = std::move(where);
    cases.push_back(std::move(c));
  };
  for (const ActivationInfo& info : catalogue()) {
    for (const Activation& setting : settings_of(info.id)) {
      if (info.kind == Kind::kElementwise) {
        std::vector<float> x = elementwise_inputs(setting, rng);
        const std::size_t n = x.size();
        add(setting, {n}, std::move(x), "");
        continue;
      }
      // Along a dim: 2-d and 3-d arrays, dims 0, 1 and −1, 12 along the dim (even for
      // glu, a multiple of every maxout piece count tested).
      const std::vector<std::pair<Shape, int>> layouts = {{{12, 5}, 0},    {{5, 12}, 1},
                                                          {{5, 12}, -1},   {{12, 3, 5}, 0},
                                                          {{3, 12, 5}, 1}, {{3, 5, 12}, -1}};
      for (const auto& [shape, dim] : layouts) {
        Activation act = setting;
        act.set("dim", dim);
        for (double scale : {1.0, 10.0, 100.0}) {
          add(act, shape, distinct_random(element_count(shape), scale, rng),
              "on " + shape_text(shape) + ", scale " + number(scale));
        }
      }
      // Extremal rows along dim −1: −inf, +inf, NaN, huge, tiny, ties (maxout's gradient
      // goes to the first maximal input, as torch.max documents), around exp's overflow.
      Activation act = setting;
      act.set("dim", -1);
      std::vector<float> x;
      for (double scale : {1.0, 1.0, 1.0, 1e4, 1e-30, 1.0, 1.0}) {
        const auto row = distinct_random(12, scale, rng);
        x.insert(x.end(), row.begin(), row.end());
      }
      x[2] = -kInfF;
      x[12 + 9] = kInfF;
      x[24 + 5] = std::numeric_limits<float>::quiet_NaN();
      const float ties[12] = {1, 1, 0.5f, -2, -2, -2, 0, 3, 3, 3, 3, 0.5f};
      std::copy(std::begin(ties), std::end(ties), x.begin() + 60);
      for (std::size_t i = 72; i < 84; ++i) {
        x[i] = (i % 2 != 0 ? -1.0f : 1.0f) * (80.0f + static_cast<float>(i - 72) * 1.25f);
      }
      add(act, {7, 12}, std::move(x),
          "on 7×12 with rows: −inf, +inf, NaN, ±1e4, ±1e-30, ties, ±80…94");
    }
  }
  return cases;
}

// ---------------------------------------------------------------------------- the script

json encode(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

double decode(const json& j) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (s == "nan") return kNaN;
    if (s == "inf") return kInfD;
    if (s == "-inf") return -kInfD;
    throw std::runtime_error("unexpected string in the oracle's output: " + s);
  }
  return j.get<double>();
}

std::vector<double> decode_array(const json& j) {
  std::vector<double> out;
  if (j.is_null()) return out;
  out.reserve(j.size());
  for (const json& v : j) out.push_back(decode(v));
  return out;
}

struct TorchAnswer {
  bool in_torch = false;
  std::string why_not;
  std::vector<double> forward64, grad64, forward32, grad32;  // grad* empty: no gradient
  // With a saved output (Case::saved_output): the float64 gradient at the point the
  // kernels' output stands for, and at the point torch's own float32 output stands for.
  std::vector<double> grad64_at_saved, grad64_at_own32;
  std::string grad_missing;
};

struct OracleRun {
  std::vector<Case> cases;
  std::vector<TorchAnswer> answers;  // by case id
  json meta;                         // torch_version, expressions, not_in_torch, grad_missing
  std::string error;                 // set when the script or its output failed
};

std::string temp_path(const char* suffix) {
  std::string pattern = "/tmp/actlab_torch_oracle_XXXXXX";
  pattern.append(suffix);
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  const int fd = mkstemps(buffer.data(), static_cast<int>(std::string_view(suffix).size()));
  if (fd < 0) throw std::runtime_error("cannot create a temporary file");
  close(fd);
  return buffer.data();
}

OracleRun run_oracle() {
  OracleRun run;
  run.cases = make_cases();
  for (Case& c : run.cases) {
    if (c.act.info().kind != Kind::kElementwise ||
        c.act.info().backward_from != BackwardFrom::kOutput) {
      continue;
    }
    std::vector<float> y(c.x.size());
    try {
      kernels::forward(c.act, c.x, y);
      c.saved_output = std::move(y);
    } catch (const std::exception&) {
      // The kernels test below reports the throw.
    }
  }
  json input;
  json& cases = input["cases"] = json::array();
  for (const Case& c : run.cases) {
    json params = json::object();
    const auto& specs = c.act.info().params;
    for (std::size_t i = 0; i < specs.size(); ++i)
      params[std::string(specs.items[i].name)] = c.act[i];
    json x = json::array();
    for (float v : c.x) x.push_back(encode(v));
    json g = json::array();
    for (float v : c.grad_output) g.push_back(encode(v));
    json one = {{"id", c.id},        {"name", std::string(c.act.name())},
                {"params", params},  {"shape", c.shape},
                {"x", std::move(x)}, {"grad_output", std::move(g)}};
    if (!c.saved_output.empty()) {
      json saved = json::array();
      for (float v : c.saved_output) saved.push_back(encode(v));
      one["saved_output"] = std::move(saved);
    }
    cases.push_back(std::move(one));
  }
  const std::string in_path = temp_path(".in.json");
  const std::string out_path = temp_path(".out.json");
  std::ofstream(in_path) << input.dump();
  std::string command = ACTLAB_PYTHON;
  command.append(" '").append(ACTLAB_SOURCE_DIR).append("/tests/oracle/torch_oracle.py' ");
  command.append(in_path).append(" ").append(out_path);
  const test::ProcessResult result = test::run_command(command);
  // ACTLAB_TORCH_ORACLE_KEEP=1 keeps both files, to replay a case by hand.
  const bool keep = std::getenv("ACTLAB_TORCH_ORACLE_KEEP") != nullptr;
  if (keep) std::printf("oracle files kept: %s %s\n", in_path.c_str(), out_path.c_str());
  if (!keep) std::remove(in_path.c_str());
  if (result.exit_code != 0) {
    run.error = "the oracle failed (exit " + std::to_string(result.exit_code) + "): " + command +
                "\n" + result.err;
    if (!keep) std::remove(out_path.c_str());
    return run;
  }
  try {
    std::ifstream in(out_path);
    json out = json::parse(in);
    run.answers.resize(run.cases.size());
    std::vector<bool> answered(run.cases.size(), false);
    for (const json& r : out.at("results")) {
      const std::size_t id = r.at("id").get<std::size_t>();
      TorchAnswer& a = run.answers.at(id);
      answered[id] = true;
      a.in_torch = r.at("status") == "ok";
      if (!a.in_torch) {
        a.why_not = r.at("why").get<std::string>();
        continue;
      }
      a.forward64 = decode_array(r.at("forward64"));
      a.forward32 = decode_array(r.at("forward32"));
      a.grad64 = decode_array(r.at("grad64"));
      a.grad32 = decode_array(r.at("grad32"));
      a.grad_missing = r.at("grad_missing").get<std::string>();
      if (r.contains("grad64_at_saved")) {
        a.grad64_at_saved = decode_array(r.at("grad64_at_saved"));
        a.grad64_at_own32 = decode_array(r.at("grad64_at_own32"));
      }
    }
    for (std::size_t id = 0; id < answered.size(); ++id) {
      if (!answered[id]) throw std::runtime_error("no answer for case " + std::to_string(id));
    }
    out.erase("results");
    run.meta = std::move(out);
  } catch (const std::exception& e) {
    run.error = std::string("cannot read the oracle's output ") + out_path + ": " + e.what();
  }
  if (!keep) std::remove(out_path.c_str());
  return run;
}

const OracleRun& oracle() {
  static const OracleRun run = run_oracle();
  return run;
}

// ---------------------------------------------------------------------------- torch's defects

enum class Output { kForward, kGradient };

// One point of an elementwise case, with torch's float64 answers there.
struct Point {
  double x;
  double g;  // grad_output
  double torch_forward;
  double torch_grad;
};

// Where PyTorch 1.13 itself is wrong, so that actlab is compared with the correct value
// instead. Each entry must be seen at least once (else it is stale and fails).
struct TorchDefect {
  std::string_view activations;  // comma-separated names, "*" for all
  Output output;
  std::string_view where;
  std::string_view why;
  bool (*applies)(double x);
  // The correct value there (torch's answer stays the expectation where it agrees).
  double (*correct)(const Point& p);
};

const TorchDefect kTorchDefects[] = {
    {"gelu,gelu_tanh,silu,mish", Output::kForward, "x = −inf",
     "x·(a gate that tends to 0) is evaluated as −inf·0 = NaN; the limit is 0 (ANCHORS.md)",
     [](double x) { return x == -kInfD; }, [](const Point&) { return 0.0; }},
    {"gelu,gelu_tanh,silu,mish", Output::kGradient, "x = ±inf",
     "the derivative is evaluated with inf·0 = NaN; the limits are 1 at +inf, 0 at −inf",
     [](double x) { return std::isinf(x); }, [](const Point& p) { return p.x > 0 ? p.g : 0.0; }},
    {"hardswish", Output::kForward, "x = −inf",
     "x·relu6(x + 3)/6 is evaluated as −inf·0 = NaN; the function is 0 for x ≤ −3",
     [](double x) { return x == -kInfD; }, [](const Point&) { return 0.0; }},
    {"hardswish", Output::kGradient, "x = 3",
     "torch 1.13's CPU backward is position dependent: its vectorised loop takes x ≥ 3 as 1, its "
     "scalar tail (and CUDA) x/3 + 1/2 = 1.5 on the closed [−3, 3]; PyTorch PR #143899 (issue "
     "#136345) made the vectorised loop agree with 1.5",
     [](double x) { return x == 3; }, [](const Point& p) { return 1.5 * p.g; }},
    {"softsign", Output::kForward, "x = ±inf",
     "x/(1 + |x|) is evaluated as inf/inf = NaN; the limits are ±1",
     [](double x) { return std::isinf(x); }, [](const Point& p) { return p.x > 0 ? 1.0 : -1.0; }},
    {"softsign", Output::kGradient, "x = ±inf",
     "1/(1 + |x|)² is evaluated with inf/inf = NaN; the limit is 0",
     [](double x) { return std::isinf(x); }, [](const Point&) { return 0.0; }},
    {"binary_step", Output::kForward, "x = NaN",
     "torch.heaviside(NaN) = 0 (NaN > 0 is false); NaN in gives NaN out (numpy.heaviside agrees)",
     [](double x) { return std::isnan(x); }, [](const Point&) { return kNaN; }},
    {"softshrink", Output::kForward, "x = NaN",
     "torch's softshrink(NaN) = 0 (both comparisons with ±lambd are false); NaN in gives NaN out",
     [](double x) { return std::isnan(x); }, [](const Point&) { return kNaN; }},
    {"*", Output::kGradient, "x = NaN",
     "torch's backward of piecewise activations picks a branch by comparisons that are false "
     "for NaN, so the gradient at NaN is often a finite number (position dependent in 1.13: "
     "its vectorised loops may give NaN where the scalar tail gives 1); NaN in gives NaN out",
     [](double x) { return std::isnan(x); }, [](const Point&) { return kNaN; }},
    {"hard_sigmoid", Output::kGradient, "−3 < x < 3",
     "torch's float64 backward multiplies by the float32 constant 1/6 = 0.1666666716 "
     "(relative error 3e-8); its documented slope there is 1/6",
     [](double x) { return x > -3 && x < 3; }, [](const Point& p) { return p.g / 6; }},
    {"elu,celu,selu", Output::kForward, "−1e-15 < x < 0",
     "torch computes alpha·(exp(x) − 1), which cancels (0 for |x| < 1.1e-16, ANCHORS.md); the "
     "value is f'(0⁻)·x to relative |x|, with f'(0⁻) torch's own float64 gradient there",
     [](double x) { return x < 0 && x > -1e-15; },
     [](const Point& p) { return p.x * (p.torch_grad / p.g); }},
};

bool names_match(std::string_view list, std::string_view name) {
  if (list == "*") return true;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    if (list.substr(start, comma - start) == name) return true;
    start = comma + 1;
  }
  return false;
}

const TorchDefect* find_defect(std::string_view name, Output output, double x) {
  for (const TorchDefect& d : kTorchDefects) {
    if (d.output == output && names_match(d.activations, name) && d.applies(x)) return &d;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------- comparing

bool close(double got, double expected, double rel, double allowance) {
  if (std::isnan(got) || std::isnan(expected)) return std::isnan(got) && std::isnan(expected);
  if (std::isinf(got) || std::isinf(expected)) return got == expected;
  return std::fabs(got - expected) <= rel * std::fabs(expected) + allowance;
}

std::string label(const Case& c) {
  std::string s = c.act.to_string();
  if (!c.where.empty()) s.append(" ").append(c.where);
  return s;
}

// The value each output element should have, with where it comes from.
struct Expectation {
  double value = 0;
  double allowance = 0;
  const TorchDefect* defect = nullptr;  // torch is wrong here and `value` is the correct one
};

struct Outputs {
  std::vector<double> forward, grad;
};

// For along-dim cases the allowance uses the largest finite |x/T| and |grad_output| of the
// case: softmax and friends are sums over the whole slice.
double case_scale(const Case& c) {
  double m = 1;
  for (float v : c.x) {
    if (std::isfinite(v)) m = std::max(m, std::fabs(static_cast<double>(v)));
  }
  if (has_param(c.act, "temperature")) m /= std::min(1.0, c.act.get("temperature"));
  return m;
}

// One element of a case: what to expect, given torch's float64 value `torch_value`.
// For elementwise cases, known torch defects replace it by the correct value.
Expectation expect(const Case& c, const TorchAnswer& a, Output output, std::size_t i) {
  Expectation e;
  const bool grad = output == Output::kGradient;
  e.value = grad ? a.grad64[i] : a.forward64[i];
  if (c.act.info().kind == Kind::kElementwise) {
    const double x = c.x[i];
    const double g = c.grad_output[i];
    e.allowance = std::isfinite(x) ? kAllowanceEps * kDoubleEps * std::max(1.0, std::fabs(x)) : 0;
    if (grad) e.allowance *= std::fabs(g);
    const TorchDefect* d = find_defect(c.act.name(), output, x);
    if (d != nullptr) {
      const Point p{x, g, a.forward64[i], a.grad64.empty() ? kNaN : a.grad64[i]};
      const double correct = d->correct(p);
      if (!close(e.value, correct, kRelTol, 0)) {
        e.value = correct;
        e.defect = d;
      }
    }
  } else {
    double g_max = 0;
    for (float v : c.grad_output) g_max = std::max(g_max, std::fabs(static_cast<double>(v)));
    e.allowance = kAllowanceEps * kDoubleEps * case_scale(c) * (grad ? g_max : 1.0);
  }
  return e;
}

Outputs run_reference(const Case& c) {
  Outputs out;
  const std::vector<double> x(c.x.begin(), c.x.end());
  const std::vector<double> g(c.grad_output.begin(), c.grad_output.end());
  if (c.act.info().kind == Kind::kElementwise) {
    for (std::size_t i = 0; i < x.size(); ++i) {
      out.forward.push_back(reference::forward(c.act, x[i]));
      out.grad.push_back(reference::derivative(c.act, x[i]) * g[i]);
    }
    return out;
  }
  out.forward.resize(g.size());
  out.grad.resize(x.size());
  reference::forward(c.act, c.shape, x, out.forward);
  reference::backward(c.act, c.shape, x, g, out.grad);
  return out;
}

struct FloatOutputs {
  std::vector<float> forward, grad;
};

FloatOutputs run_kernels(const Case& c) {
  FloatOutputs out;
  out.forward.resize(c.grad_output.size());
  out.grad.resize(c.x.size());
  kernels::forward(c.act, c.shape, c.x, out.forward);
  const bool from_output = c.act.info().backward_from == BackwardFrom::kOutput;
  kernels::backward(c.act, c.shape, from_output ? std::span<const float>(out.forward) : c.x,
                    c.grad_output, out.grad);
  return out;
}

// The input to print for output element i: x itself for elementwise cases, the position
// and the input there otherwise.
std::string where_in(const Case& c, Output output, std::size_t i) {
  if (c.act.info().kind == Kind::kElementwise) return "x = " + number(c.x[i]);
  std::string s = output == Output::kForward ? "output[" : "input[";
  s.append(std::to_string(i)).append("]");
  if (output == Output::kGradient || c.x.size() == c.grad_output.size()) {
    s.append(" (x = ").append(number(c.x[i])).append(")");
  }
  return s;
}

// Collected per activation, printed as one line of the summary.
struct Summary {
  std::size_t points = 0;
  std::size_t imprecise = 0;  // torch f64 within the allowance only
  std::string worst_imprecise;
  double worst_imprecise_rel = 0;
  double kernel_ulp[2] = {0, 0};  // forward, gradient
  double torch32_ulp[2] = {0, 0};
  std::string kernel_worst[2], torch32_worst[2];
  std::size_t compared_to_reference = 0;  // (b) points where torch f64 was not precise enough
};

struct DefectSighting {
  std::size_t count = 0;
  std::set<std::string> activations;
  std::vector<std::string> examples;
};

std::string defect_key(const TorchDefect& d) {
  std::string s(d.activations);
  s.append(d.output == Output::kForward ? " forward at " : " gradient at ").append(d.where);
  return s;
}

// The ULP floor of each input's gradient, the measuring rule of the table's bounds
// (tests/kernel_test.cpp): elementwise, backward_floor·|grad_output|; for the softmax
// family, the size of the terms whose difference makes the gradient, so that cancellation
// in dy_i − Σ_j dy_j·y_j is not charged to the kernel: softmax and softmin
// p_i·(|dy_i| + Σ_j |dy_j|·p_j)/T, log_softmax (|dy_i| + p_i·Σ_j |dy_j|)/T, with p torch's
// float64 probabilities.
std::vector<double> gradient_floors(const Case& c, const TorchAnswer& a) {
  const UlpBound& bound = c.act.info().ulp;
  std::vector<double> floors(c.x.size(), bound.backward_floor);
  if (c.act.info().kind == Kind::kElementwise) {
    for (std::size_t i = 0; i < floors.size(); ++i) floors[i] *= std::fabs(c.grad_output[i]);
    return floors;
  }
  const ActivationId id = c.act.id();
  if (id != ActivationId::kSoftmax && id != ActivationId::kSoftmin &&
      id != ActivationId::kLogSoftmax) {
    return floors;
  }
  const double t = c.act.get("temperature");
  const DimSplit split = split_at_dim(c.shape, static_cast<int>(c.act.get("dim")));
  for (std::size_t o = 0; o < split.outer; ++o) {
    for (std::size_t in = 0; in < split.inner; ++in) {
      const auto at = [&](std::size_t k) { return (o * split.size + k) * split.inner + in; };
      const auto p = [&](std::size_t k) {
        return id == ActivationId::kLogSoftmax ? std::exp(a.forward64[at(k)]) : a.forward64[at(k)];
      };
      double abs_dot = 0, abs_sum = 0;
      for (std::size_t k = 0; k < split.size; ++k) {
        abs_dot += std::fabs(c.grad_output[at(k)]) * p(k);
        abs_sum += std::fabs(c.grad_output[at(k)]);
      }
      for (std::size_t k = 0; k < split.size; ++k) {
        const double dy = std::fabs(c.grad_output[at(k)]);
        const double scale =
            id == ActivationId::kLogSoftmax ? (dy + p(k) * abs_sum) / t : p(k) * (dy + abs_dot) / t;
        floors[at(k)] = std::max(floors[at(k)], scale);
      }
    }
  }
  return floors;
}

// ---------------------------------------------------------------------------- tests

class TorchOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!oracle().error.empty()) FAIL() << oracle().error;
  }
};

TEST_F(TorchOracle, AnswersEveryActivationAndListsWhatTorchLacks) {
  const OracleRun& run = oracle();
  std::printf("torch %s via %s\n", run.meta.at("torch_version").get<std::string>().c_str(),
              ACTLAB_PYTHON);
  std::set<std::string> sent, not_in_torch, forward_only;
  for (const Case& c : run.cases) {
    const TorchAnswer& a = run.answers[c.id];
    const std::string name(c.act.name());
    sent.insert(name);
    if (!a.in_torch) not_in_torch.insert(name);
    if (a.in_torch && a.grad64.empty()) forward_only.insert(name);
  }
  std::set<std::string> expected_not_in_torch, expected_forward_only;
  for (const ActivationInfo& info : catalogue()) {
    EXPECT_TRUE(sent.count(std::string(info.name))) << info.name << " has no case";
    if (info.torch.empty()) expected_not_in_torch.insert(std::string(info.name));
    if (info.torch.find("forward only") != std::string_view::npos) {
      expected_forward_only.insert(std::string(info.name));
    }
    const json& expressions = run.meta.at("expressions");
    if (expressions.contains(std::string(info.name))) {
      std::printf("  %-12s = %s\n", std::string(info.name).c_str(),
                  expressions.at(std::string(info.name)).get<std::string>().c_str());
    }
  }
  std::string lacks;
  for (const std::string& name : not_in_torch) {
    lacks.append(lacks.empty() ? "" : ", ").append(name).append(" (");
    lacks.append(run.meta.at("not_in_torch").at(name).get<std::string>()).append(")");
  }
  std::printf("not in torch: %s\n", lacks.c_str());
  std::string fwd_only;
  for (const std::string& name : forward_only) {
    fwd_only.append(fwd_only.empty() ? "" : ", ").append(name).append(" (");
    fwd_only.append(run.meta.at("grad_missing").at(name).get<std::string>()).append(")");
  }
  std::printf("forward only in torch (no gradient compared): %s\n", fwd_only.c_str());
  EXPECT_EQ(not_in_torch, expected_not_in_torch)
      << "the activations torch_oracle.py lists as not in torch must be exactly the rows "
         "whose .torch is \"\" in activations.def";
  EXPECT_EQ(forward_only, expected_forward_only)
      << "forward-only activations must say \"forward only\" in their .torch";
}

// (a) The double reference against torch float64: semantics.
TEST_F(TorchOracle, ReferenceMatchesTorchFloat64) {
  const OracleRun& run = oracle();
  std::map<std::string, DefectSighting> sightings;
  std::map<std::string, Summary> summaries;
  std::map<std::string, std::vector<std::string>> failures;
  std::map<std::string, std::size_t> failure_counts;
  for (const Case& c : run.cases) {
    const TorchAnswer& a = run.answers[c.id];
    if (!a.in_torch) continue;
    const std::string name(c.act.name());
    Summary& s = summaries[name];
    Outputs ref;
    try {
      ref = run_reference(c);
    } catch (const std::exception& e) {
      if (++failure_counts[name] <= max_printed()) {
        failures[name].push_back(label(c) + ": actlab::reference threw: " + e.what());
      }
      continue;
    }
    for (Output output : {Output::kForward, Output::kGradient}) {
      if (output == Output::kGradient && a.grad64.empty()) continue;
      const std::vector<double>& got = output == Output::kForward ? ref.forward : ref.grad;
      const std::vector<double>& torch = output == Output::kForward ? a.forward64 : a.grad64;
      if (got.size() != torch.size()) {
        ADD_FAILURE() << label(c) << ": " << got.size() << " values from actlab, " << torch.size()
                      << " from torch";
        continue;
      }
      for (std::size_t i = 0; i < got.size(); ++i) {
        ++s.points;
        const Expectation e = expect(c, a, output, i);
        const char* what = output == Output::kForward ? "forward" : "gradient";
        if (e.defect != nullptr) {
          DefectSighting& seen = sightings[defect_key(*e.defect)];
          ++seen.count;
          seen.activations.insert(name);
          if (seen.examples.size() < 3) {
            seen.examples.push_back(label(c) + " " + where_in(c, output, i) + ": torch " +
                                    number(torch[i]) + ", correct " + number(e.value) +
                                    ", actlab " + number(got[i]));
          }
        }
        if (!close(got[i], e.value, kRelTol, e.allowance)) {
          if (++failure_counts[name] <= max_printed()) {
            failures[name].push_back(std::string(what) + " of " + label(c) + " at " +
                                     where_in(c, output, i) + ": expected " + number(e.value) +
                                     (e.defect != nullptr
                                          ? " (correct value; torch " + number(torch[i]) + ")"
                                          : " (torch float64)") +
                                     ", actlab::reference " + number(got[i]));
          }
        } else if (e.defect == nullptr && !close(got[i], e.value, kRelTol, 0)) {
          ++s.imprecise;
          const double rel = std::fabs(got[i] - e.value) / std::max(std::fabs(e.value), 1e-300);
          if (rel > s.worst_imprecise_rel) {
            s.worst_imprecise_rel = rel;
            s.worst_imprecise = std::string(what) + " of " + label(c) + " at " +
                                where_in(c, output, i) + ": torch " + number(e.value) +
                                ", actlab " + number(got[i]);
          }
        }
      }
    }
  }
  std::printf("Known torch defects (actlab compared with the correct value there):\n");
  for (const TorchDefect& d : kTorchDefects) {
    const std::string key = defect_key(d);
    const auto it = sightings.find(key);
    std::printf("  %s: %s\n", key.c_str(), std::string(d.why).c_str());
    if (it == sightings.end()) {
      ADD_FAILURE() << "known torch defect never seen (stale entry?): " << key;
      continue;
    }
    std::string names;
    for (const std::string& n : it->second.activations)
      names.append(names.empty() ? "" : ", ").append(n);
    std::printf("      seen at %zu values, in %s\n", it->second.count, names.c_str());
    for (const std::string& ex : it->second.examples) std::printf("      e.g. %s\n", ex.c_str());
  }
  std::printf("Reference vs torch float64 (1e-12 relative + %g·ε·max(1,|x|)):\n", kAllowanceEps);
  for (const auto& [name, s] : summaries) {
    std::printf("  %-12s %6zu values, %4zu within the allowance only%s%s\n", name.c_str(), s.points,
                s.imprecise, s.imprecise > 0 ? "; worst " : "", s.worst_imprecise.c_str());
  }
  for (const auto& [name, list] : failures) {
    std::string text;
    for (const std::string& f : list) text.append("\n  ").append(f);
    ADD_FAILURE() << name << ": actlab::reference disagrees with torch at " << failure_counts[name]
                  << " values; the first:" << text;
  }
}

// (b) The float32 kernels against torch float64, within the row's ULP bound; torch's own
// float32 against the same values, reported.
TEST_F(TorchOracle, KernelsWithinUlpBoundOfTorchFloat64) {
  const OracleRun& run = oracle();
  std::map<std::string, Summary> summaries;
  std::map<std::string, std::vector<std::string>> failures;
  std::map<std::string, std::size_t> failure_counts;
  for (const Case& c : run.cases) {
    const TorchAnswer& a = run.answers[c.id];
    if (!a.in_torch) continue;
    const std::string name(c.act.name());
    Summary& s = summaries[name];
    FloatOutputs k;
    Outputs ref;
    try {
      k = run_kernels(c);
      ref = run_reference(c);
    } catch (const std::exception& e) {
      if (++failure_counts[name] <= max_printed()) {
        failures[name].push_back(label(c) + ": actlab threw: " + e.what());
      }
      continue;
    }
    const UlpBound& bound = c.act.info().ulp;
    for (Output output : {Output::kForward, Output::kGradient}) {
      if (output == Output::kGradient && a.grad64.empty()) continue;
      const int o = output == Output::kForward ? 0 : 1;
      const std::vector<float>& got = o == 0 ? k.forward : k.grad;
      const std::vector<double>& torch32 = o == 0 ? a.forward32 : a.grad32;
      const std::vector<double>& reference = o == 0 ? ref.forward : ref.grad;
      const double limit = o == 0 ? bound.forward : bound.backward;
      const std::vector<double> floors =
          o == 0 ? std::vector<double>(got.size(), 0.0) : gradient_floors(c, a);
      const bool at_saved = o == 1 && c.act.info().kind == Kind::kElementwise &&
                            c.act.info().backward_from == BackwardFrom::kOutput;
      if (at_saved && a.grad64_at_saved.size() != got.size()) {
        ADD_FAILURE() << label(c) << ": the oracle did not evaluate the gradient at the "
                      << "kernels' saved output";
        continue;
      }
      for (std::size_t i = 0; i < got.size(); ++i) {
        ++s.points;
        Expectation e = expect(c, a, output, i);
        double expected32 = e.value;  // what torch's own float32 is judged against
        if (at_saved && e.defect == nullptr && !std::isnan(c.x[i])) {
          e.value = a.grad64_at_saved[i];
          expected32 = a.grad64_at_own32[i];
        } else if (e.defect == nullptr && !close(reference[i], e.value, kRelTol, 0) &&
                   close(reference[i], e.value, kRelTol, e.allowance)) {
          // Torch float64 agrees with the reference only within the allowance here: not
          // precise enough to judge float32, so the (just checked) reference judges.
          e.value = reference[i];
          expected32 = e.value;
          ++s.compared_to_reference;
        }
        const double ulp = test::ulp_error(got[i], e.value, floors[i]);
        const double ulp32 = test::ulp_error(static_cast<float>(torch32[i]), expected32, floors[i]);
        const std::string at = label(c) + " " + where_in(c, output, i);
        if (ulp > s.kernel_ulp[o] || (std::isnan(ulp) && !std::isnan(s.kernel_ulp[o]))) {
          s.kernel_ulp[o] = ulp;
          s.kernel_worst[o] = at;
        }
        if (e.defect == nullptr && ulp32 > s.torch32_ulp[o]) {
          s.torch32_ulp[o] = ulp32;
          s.torch32_worst[o] =
              at + ": torch f32 " + number(torch32[i]) + ", expected " + number(expected32);
        }
        if (!(ulp <= limit) && ++failure_counts[name] <= max_printed()) {
          failures[name].push_back(std::string(o == 0 ? "forward" : "gradient") + " of " + at +
                                   ": expected " + number(e.value) + ", kernel " + number(got[i]) +
                                   " (" + number(ulp) + " ULP, bound " + number(limit) +
                                   (floors[i] > 0 ? ", floor " + number(floors[i]) : "") +
                                   "), torch float32 " + number(torch32[i]));
        }
      }
    }
  }
  std::printf(
      "Float32 against torch float64, max ULP (forward / gradient); torch f32 excludes "
      "its known defects:\n");
  std::printf("  %-12s %-22s %-22s %s\n", "activation", "actlab kernels", "torch float32", "bound");
  for (const ActivationInfo& info : catalogue()) {
    const auto it = summaries.find(std::string(info.name));
    if (it == summaries.end()) continue;
    const Summary& s = it->second;
    std::printf("  %-12s %9.3g / %-9.3g  %9.3g / %-9.3g  %g / %g", std::string(info.name).c_str(),
                s.kernel_ulp[0], s.kernel_ulp[1], s.torch32_ulp[0], s.torch32_ulp[1],
                info.ulp.forward, info.ulp.backward);
    if (s.compared_to_reference > 0) {
      std::printf("  (%zu values judged by the reference: torch f64 imprecise)",
                  s.compared_to_reference);
    }
    std::printf("\n");
    for (int o = 0; o < 2; ++o) {
      if (s.torch32_ulp[o] > std::max(s.kernel_ulp[o], 4.0)) {
        std::printf("      torch f32 worst %s: %s\n", o == 0 ? "forward" : "gradient",
                    s.torch32_worst[o].c_str());
      }
    }
  }
  for (const auto& [name, list] : failures) {
    std::string text;
    for (const std::string& f : list) text.append("\n  ").append(f);
    ADD_FAILURE() << name << ": actlab::kernels beyond the ULP bound at " << failure_counts[name]
                  << " values; the first:" << text;
  }
}

}  // namespace
}  // namespace actlab
