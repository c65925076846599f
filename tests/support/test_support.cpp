#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <unistd.h>
#include <sys/wait.h>

namespace actlab::test {

double float_ulp_at(double r) {
  const double a = std::fabs(r);
  if (std::isinf(a)) return std::numeric_limits<double>::infinity();
  if (a < std::numeric_limits<float>::min()) return std::ldexp(1.0, -149);
  int exponent = 0;
  std::frexp(a, &exponent);  // a = m·2^exponent, m in [0.5, 1)
  // Above FLT_MAX the spacing of the last binade still applies.
  return std::ldexp(1.0, std::min(exponent, 128) - 24);
}

double ulp_error(float y, double reference, double floor) {
  const double inf = std::numeric_limits<double>::infinity();
  if (std::isnan(y) || std::isnan(reference)) return std::isnan(y) && std::isnan(reference) ? 0 : inf;
  if (std::isinf(y) || std::isinf(reference)) {
    if (static_cast<double>(y) == reference) return 0;
    // A float overflow of a finite reference beyond FLT_MAX is correct rounding.
    if (std::isinf(y) && std::fabs(reference) > std::numeric_limits<float>::max() &&
        std::signbit(y) == std::signbit(reference)) {
      return 0;
    }
    return inf;
  }
  const double scale = std::max(std::fabs(reference), floor);
  return std::fabs(static_cast<double>(y) - reference) / float_ulp_at(scale);
}

std::vector<float> special_values() {
  const float inf = std::numeric_limits<float>::infinity();
  const float denorm = std::numeric_limits<float>::denorm_min();
  const float tiny = std::numeric_limits<float>::min();
  const float big = std::numeric_limits<float>::max();
  return {0.0f, -0.0f, denorm, -denorm, 1e-40f, -1e-40f, tiny, -tiny, big, -big, inf, -inf,
          1.0f, -1.0f, 0.5f, -0.5f, 3.0f, -3.0f, 6.0f, -6.0f, 20.0f, -20.0f, 88.7f, -88.7f,
          89.0f, -89.0f, 104.0f, -104.0f, 1e30f, -1e30f,
          // Where x² nears float overflow (gelu' once broke at 2.6e19).
          1e18f, -1e18f, 2.6e19f, -2.6e19f, 1e20f, -1e20f};
}

std::vector<float> dense_sweep() {
  std::vector<float> xs;
  for (int k = -150 * 1024; k <= 150 * 1024; ++k) xs.push_back(static_cast<float>(k) / 1024.0f);
  // Tiny magnitudes, every power of two and a few mantissas in between.
  for (int e = -149; e <= -10; ++e) {
    for (float m : {1.0f, 1.3f, 1.7f}) {
      const float v = std::ldexp(m, e);
      xs.push_back(v);
      xs.push_back(-v);
    }
  }
  const auto specials = special_values();
  xs.insert(xs.end(), specials.begin(), specials.end());
  return xs;
}

Activation with_float_params(const Activation& act) {
  Activation out = act;
  const auto& params = act.info().params;
  for (std::size_t i = 0; i < params.size(); ++i) {
    out.set(params.items[i].name, static_cast<double>(static_cast<float>(act[i])));
  }
  return out;
}

std::vector<Activation> parameter_settings(ActivationId id) {
  std::vector<Activation> out{Activation(id)};
  const ActivationInfo& info = actlab::info(id);
  for (const ParamSpec& p : info.params) {
    if (p.name == "dim" || p.name == "num_parameters") continue;  // structural, tested apart
    std::vector<double> candidates;
    if (p.is_integer) {
      candidates = {p.default_value + 1, p.default_value + 2};
    } else {
      const double d = p.default_value;
      candidates = {d == 0 ? 0.25 : d * 0.5, d == 0 ? -0.75 : d * 2.5};
    }
    for (double v : candidates) {
      Activation a(id);
      try {
        a.set(p.name, v);
      } catch (const std::exception&) {
        continue;  // outside the valid range or breaks a constraint: not a setting
      }
      out.push_back(a);
    }
  }
  return out;
}

double output_preimage(ActivationId id, float y) {
  const double v = y;
  switch (id) {
    case ActivationId::kSigmoid:
      return std::log(v) - std::log1p(-v);  // logit; ±inf at 1 and 0
    case ActivationId::kTanh:
      return std::atanh(v);
    case ActivationId::kExponential:
      return std::log(v);
    case ActivationId::kRelu:
      return v;
    default:
      throw std::logic_error("no preimage for " + std::string(info(id).name) +
                             ": its backward reads the input");
  }
}

ProcessResult run_command(const std::string& command_line) {
  char err_path[] = "/tmp/actlab_test_stderr_XXXXXX";
  const int fd = mkstemp(err_path);
  if (fd < 0) return {};
  close(fd);
  ProcessResult result;
  const std::string full = command_line + " 2>" + err_path;
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err_file(err_path);
  std::stringstream err;
  err << err_file.rdbuf();
  result.err = err.str();
  std::remove(err_path);
  return result;
}

nlohmann::json run_oracle(const std::string& script, const nlohmann::json& request) {
  const std::string stem = "/tmp/actlab_" + script + "_" + std::to_string(::getpid());
  const std::string in = stem + "_in.json";
  const std::string out = stem + "_out.json";
  std::ofstream(in) << request.dump();
  const ProcessResult result =
      run_command(std::string(ACTLAB_PYTHON) + " '" + ACTLAB_SOURCE_DIR + "/tests/oracle/" +
                  script + "' '" + in + "' '" + out + "'");
  std::remove(in.c_str());
  EXPECT_EQ(result.exit_code, 0) << script << " failed (with " << ACTLAB_PYTHON
                                 << ", which must have python3-torch):\n"
                                 << result.err;
  if (result.exit_code != 0) return nlohmann::json();
  std::ifstream answer(out);
  nlohmann::json parsed = nlohmann::json::parse(answer);
  std::remove(out.c_str());
  return parsed;
}

ProcessResult run_cli(const std::string& arguments) {
  return run_command(std::string(ACTLAB_CLI_PATH) + " " + arguments);
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::vector<float> random_floats(std::size_t n, float scale, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace actlab::test
