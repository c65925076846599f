// The activation catalogue: one table (activations.def) describes every activation, and
// the enum, name lookup, CLI listing, docs, tests and benchmarks are all generated from it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace actlab {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

// One row of the table per activation; the order of activations.def is the enum's order.
enum class ActivationId : std::uint8_t {
#define ACTLAB_ACTIVATION(id, ...) id,
#include "actlab/activations.def"
#undef ACTLAB_ACTIVATION
};

inline constexpr std::size_t kActivationCount = 0
#define ACTLAB_ACTIVATION(id, ...) +1
#include "actlab/activations.def"
#undef ACTLAB_ACTIVATION
    ;

// Elementwise activations map each x to f(x); along-dim ones mix values along one
// dimension of an N-d array (softmax family, glu, maxout).
enum class Kind : std::uint8_t { kElementwise, kAlongDim };

// Relative cost per element, the seed's "연산량" column refined: kLow is compares and
// multiplies only, kMedium one transcendental (exp, tanh, erf, log), kHigh two or more.
enum class Cost : std::uint8_t { kLow, kMedium, kHigh };

// Which saved tensor the backward pass reads. kOutput allows an in-place forward.
enum class BackwardFrom : std::uint8_t { kInput, kOutput };

// A parameter: its default follows PyTorch, its valid interval is [min, max] with the
// ends excluded where min_open / max_open say so. Integer parameters must be whole.
struct ParamSpec {
  std::string_view name;
  double default_value = 0;
  double min = -kInf;
  double max = kInf;
  bool min_open = false;
  bool max_open = false;
  bool is_integer = false;
  bool learnable = false;
  std::string_view help;
};

inline constexpr std::size_t kMaxParams = 4;

struct ParamList {
  std::array<ParamSpec, kMaxParams> items{};
  std::size_t count = 0;
  constexpr ParamList() = default;
  constexpr ParamList(std::initializer_list<ParamSpec> list) {
    for (const ParamSpec& p : list) items[count++] = p;
  }
  constexpr const ParamSpec* begin() const { return items.data(); }
  constexpr const ParamSpec* end() const { return items.data() + count; }
  constexpr std::size_t size() const { return count; }
};

// Constraints that tie two parameters together (first and second in the ParamList).
enum class ParamConstraint : std::uint8_t {
  kNone,
  kFirstLessThanSecond,   // hardtanh: min_val < max_val
  kFirstAtMostSecond,     // rrelu: lower <= upper
};

// Error bound of a float32 kernel against the double reference, in units of the float
// spacing at max(|reference|, floor). A floor > 0 is used where the value crosses zero at
// a point no float can hold (e.g. silu' near x = −1.28), so relative error is meaningless
// there; docs/conventions.md explains each floor.
struct UlpBound {
  double forward = 1;
  double backward = 1;
  double backward_floor = 0;
};

struct ActivationInfo {
  ActivationId id{};
  std::string_view name;
  std::string_view aliases;  // comma-separated, may be empty
  Kind kind = Kind::kElementwise;
  ParamList params;
  ParamConstraint constraint = ParamConstraint::kNone;
  std::string_view formula;     // f(x), plain text with Unicode maths
  std::string_view derivative;  // f'(x), with the convention at kinks
  std::string_view range;       // output range with default parameters, as text
  double range_min = -kInf;     // the same range as numbers (closed hull)
  double range_max = kInf;
  bool zero_centred = false;  // f(0) = 0 and |mean|/rms of f(N(0,1)) below 0.45
  bool monotonic = false;     // non-decreasing with default parameters
  bool smooth = false;        // continuously differentiable (C¹) with default parameters
  Cost cost = Cost::kLow;
  BackwardFrom backward_from = BackwardFrom::kInput;
  UlpBound ulp;
  std::string_view torch;  // the PyTorch equivalent used as oracle, or "" if torch has none
  std::string_view summary;

  std::vector<std::string_view> alias_list() const;
  bool has_learnable_params() const;
};

// The whole table, in enum order.
std::span<const ActivationInfo> catalogue();
const ActivationInfo& info(ActivationId id);

// Looks a name or alias up (case-insensitive, '-' and '_' equal). Throws Error
// kUnknownName with the closest names ("did you mean 'relu'?") when nothing matches.
ActivationId find_activation(std::string_view name);
// The few closest catalogue names to `name`, best first (for "did you mean").
std::vector<std::string_view> closest_names(std::string_view name, std::size_t limit = 3);

// An activation with validated parameter values. Cheap to copy.
class Activation {
 public:
  explicit Activation(ActivationId id);  // PyTorch's defaults
  // Name or alias plus "key=value" overrides; throws Error on any bad name or value.
  static Activation parse(std::string_view name,
                          const std::vector<std::pair<std::string, double>>& params = {});

  ActivationId id() const { return id_; }
  const ActivationInfo& info() const { return actlab::info(id_); }
  std::string_view name() const { return info().name; }

  // Validates against the table: range, whole numbers, cross-parameter constraint.
  Activation& set(std::string_view param, double value);
  double get(std::string_view param) const;
  double operator[](std::size_t index) const { return values_[index]; }
  std::span<const double> values() const { return {values_.data(), info().params.size()}; }

  // "leaky_relu(negative_slope=0.1)", or just the name when all parameters are default.
  std::string to_string() const;

 private:
  void set_unchecked_constraint(std::string_view param, double value);
  void check_constraint() const;
  ActivationId id_;
  std::array<double, kMaxParams> values_{};
};

}  // namespace actlab
