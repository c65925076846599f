// The catalogue: the table from activations.def, name lookup with suggestions, and
// parameter validation.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

#include "actlab/activation.hpp"
#include "actlab/error.hpp"

namespace actlab {
namespace {

constexpr ActivationInfo kTable[] = {
#define ACTLAB_ACTIVATION(ident, ...) ActivationInfo{.id = ActivationId::ident, __VA_ARGS__},
#include "actlab/activations.def"
#undef ACTLAB_ACTIVATION
};

static_assert(std::size(kTable) == kActivationCount);

consteval bool table_is_in_enum_order() {
  for (std::size_t i = 0; i < std::size(kTable); ++i) {
    if (static_cast<std::size_t>(kTable[i].id) != i) return false;
  }
  return true;
}
static_assert(table_is_in_enum_order());

consteval bool defaults_are_valid() {
  for (const ActivationInfo& a : kTable) {
    for (const ParamSpec& p : a.params) {
      const double v = p.default_value;
      if (v < p.min || v > p.max) return false;
      if ((p.min_open && v == p.min) || (p.max_open && v == p.max)) return false;
    }
  }
  return true;
}
static_assert(defaults_are_valid());

// Lookup ignores case and treats '-' as '_' ("Leaky-ReLU" finds leaky_relu).
std::string normalise(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    out.push_back(c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string format_number(double v) {
  if (v == kInf) return "∞";
  if (v == -kInf) return "−∞";
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

std::string describe_interval(const ParamSpec& p) {
  // Infinite ends are always open.
  return std::string(p.min_open || p.min == -kInf ? "(" : "[") + format_number(p.min) + ", " +
         format_number(p.max) + (p.max_open || p.max == kInf ? ")" : "]");
}

}  // namespace

std::vector<std::string_view> ActivationInfo::alias_list() const {
  std::vector<std::string_view> out;
  std::string_view rest = aliases;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    out.push_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

bool ActivationInfo::has_learnable_params() const {
  return std::any_of(params.begin(), params.end(), [](const ParamSpec& p) { return p.learnable; });
}

std::span<const ActivationInfo> catalogue() { return kTable; }

const ActivationInfo& info(ActivationId id) { return kTable[static_cast<std::size_t>(id)]; }

std::vector<std::string_view> closest_names(std::string_view name, std::size_t limit) {
  const std::string wanted = normalise(name);
  std::vector<std::pair<std::size_t, std::string_view>> scored;
  for (const ActivationInfo& a : kTable) {
    std::size_t best = edit_distance(wanted, a.name);
    for (std::string_view alias : a.alias_list()) best = std::min(best, edit_distance(wanted, alias));
    // A name that contains the query ("leaky" in "leaky_relu") is a good guess too.
    if (!wanted.empty() && a.name.find(wanted) != std::string_view::npos) best = std::min<std::size_t>(best, 1);
    scored.emplace_back(best, a.name);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string_view> out;
  for (const auto& [distance, n] : scored) {
    if (out.size() == limit || distance > std::max<std::size_t>(3, wanted.size() / 2)) break;
    out.push_back(n);
  }
  return out;
}

ActivationId find_activation(std::string_view name) {
  const std::string wanted = normalise(name);
  for (const ActivationInfo& a : kTable) {
    if (a.name == wanted) return a.id;
    for (std::string_view alias : a.alias_list()) {
      if (alias == wanted) return a.id;
    }
  }
  std::string message = "unknown activation '" + std::string(name) + "'";
  const auto suggestions = closest_names(name);
  if (!suggestions.empty()) {
    message += "; did you mean ";
    for (std::size_t i = 0; i < suggestions.size(); ++i) {
      if (i > 0) message += i + 1 == suggestions.size() ? " or " : ", ";
      message.append("'").append(suggestions[i]).append("'");
    }
    message += "?";
  }
  message += " ('actlab list' shows them all)";
  throw Error(ErrorCode::kUnknownName, message);
}

Activation::Activation(ActivationId id) : id_(id) {
  const ParamList& params = info().params;
  for (std::size_t i = 0; i < params.size(); ++i) values_[i] = params.items[i].default_value;
}

Activation Activation::parse(std::string_view name,
                             const std::vector<std::pair<std::string, double>>& params) {
  Activation act(find_activation(name));
  // Set everything first and check the cross-parameter constraint once at the end, so
  // "--param min_val=2 --param max_val=3" works in either order.
  for (const auto& [key, value] : params) act.set_unchecked_constraint(key, value);
  act.check_constraint();
  return act;
}

Activation& Activation::set(std::string_view param, double value) {
  set_unchecked_constraint(param, value);
  check_constraint();
  return *this;
}

void Activation::set_unchecked_constraint(std::string_view param, double value) {
  const ParamList& params = info().params;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const ParamSpec& p = params.items[i];
    if (p.name != param) continue;
    const std::string where = std::string(name()) + " parameter '" + std::string(p.name) + "'";
    if (std::isnan(value)) throw Error(ErrorCode::kInvalidParameter, where + " is NaN");
    const bool below = value < p.min || (p.min_open && value == p.min);
    const bool above = value > p.max || (p.max_open && value == p.max);
    if (below || above || std::isinf(value)) {
      throw Error(ErrorCode::kInvalidParameter, where + " = " + format_number(value) +
                                                    " is outside its valid range " +
                                                    describe_interval(p));
    }
    if (p.is_integer && value != std::floor(value)) {
      throw Error(ErrorCode::kInvalidParameter,
                  where + " = " + format_number(value) + " must be a whole number");
    }
    values_[i] = value;
    return;
  }
  std::string known;
  for (const ParamSpec& p : params) known += (known.empty() ? "" : ", ") + std::string(p.name);
  throw Error(ErrorCode::kUnknownName,
              "activation '" + std::string(name()) + "' has no parameter '" + std::string(param) +
                  "'" + (known.empty() ? " (it takes none)" : " (it takes: " + known + ")"));
}

void Activation::check_constraint() const {
  const ParamList& params = info().params;
  const auto first = [&] { return std::string(params.items[0].name); };
  const auto second = [&] { return std::string(params.items[1].name); };
  switch (info().constraint) {
    case ParamConstraint::kNone:
      return;
    case ParamConstraint::kFirstLessThanSecond:
      if (values_[0] < values_[1]) return;
      throw Error(ErrorCode::kInvalidParameter,
                  std::string(name()) + ": " + first() + " (" + format_number(values_[0]) +
                      ") must be less than " + second() + " (" + format_number(values_[1]) + ")");
    case ParamConstraint::kFirstAtMostSecond:
      if (values_[0] <= values_[1]) return;
      throw Error(ErrorCode::kInvalidParameter,
                  std::string(name()) + ": " + first() + " (" + format_number(values_[0]) +
                      ") must not exceed " + second() + " (" + format_number(values_[1]) + ")");
  }
}

double Activation::get(std::string_view param) const {
  const ParamList& params = info().params;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params.items[i].name == param) return values_[i];
  }
  throw Error(ErrorCode::kUnknownName, "activation '" + std::string(name()) +
                                           "' has no parameter '" + std::string(param) + "'");
}

std::string Activation::to_string() const {
  std::string out(name());
  std::string args;
  const ParamList& params = info().params;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (values_[i] == params.items[i].default_value) continue;
    args += (args.empty() ? "" : ", ") + std::string(params.items[i].name) + "=" +
            format_number(values_[i]);
  }
  return args.empty() ? out : out + "(" + args + ")";
}

}  // namespace actlab
