// The model-spec parser: "conv2d(1,32,3,padding=1) -> relu -> max_pool2d(2) -> ...".
//
// Grammar (whitespace allowed between tokens):
//   spec  := item (("->" | ";") item)*
//   item  := name ["(" [arg ("," arg)*] ")"]
//   arg   := value | key "=" value
//   value := number | "true" | "false"
// Layer names: dense (alias linear), conv2d, max_pool2d, avg_pool2d, flatten, dropout; any
// other name must be a catalogue activation (or alias), whose parameters are the arguments.
#include "nn/spec.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "actlab/activation.hpp"
#include "actlab/error.hpp"
#include "nn/layer_support.hpp"

namespace actlab::nn::detail {
namespace {

struct Arg {
  std::string key;  // empty for a positional argument
  double value = 0;
  std::size_t column = 0;  // 1-based
};

struct Item {
  std::string name;
  std::vector<Arg> args;
  std::size_t column = 0;
};

std::string at_column(std::size_t column) { return "model spec, column " + std::to_string(column); }

[[noreturn]] void fail(ErrorCode code, std::size_t column, const std::string& message) {
  throw Error(code, at_column(column) + ": " + message);
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

// A cursor over the spec text; every error carries the column where it was found.
class Reader {
 public:
  explicit Reader(const std::string& text) : text_(text) {}

  void skip_spaces() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])) != 0)
      ++pos_;
  }
  bool done() {
    skip_spaces();
    return pos_ == text_.size();
  }
  std::size_t column() const { return pos_ + 1; }
  bool accept(std::string_view token) {
    skip_spaces();
    if (text_.compare(pos_, token.size(), token) != 0) return false;
    pos_ += token.size();
    return true;
  }
  // A name: letters, digits, '_' and '-' but not the '-' of a "->" separator.
  std::string name(const char* what) {
    skip_spaces();
    const std::size_t start = pos_;
    while (pos_ < text_.size() && is_name_char(text_[pos_]) &&
           !(text_[pos_] == '-' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '>')) {
      ++pos_;
    }
    if (start == pos_) {
      fail(ErrorCode::kInvalidArgument, column(),
           std::string("expected ") + what +
               (pos_ < text_.size() ? std::string(", found '") + text_[pos_] + "'"
                                    : std::string(", found the end of the spec")));
    }
    return text_.substr(start, pos_ - start);
  }
  // A number, or true/false (1/0).
  double value() {
    skip_spaces();
    const std::size_t start = pos_;
    if (accept("true")) return 1.0;
    if (accept("false")) return 0.0;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ')' &&
           std::isspace(static_cast<unsigned char>(text_[pos_])) == 0) {
      ++pos_;
    }
    const std::string token = text_.substr(start, pos_ - start);
    char* end = nullptr;
    const double v = token.empty() ? 0.0 : std::strtod(token.c_str(), &end);
    if (token.empty() || end != token.c_str() + token.size()) {
      fail(ErrorCode::kInvalidParameter, start + 1,
           "expected a number, true or false, found '" + token + "'");
    }
    return v;
  }

 private:
  const std::string& text_;
  std::size_t pos_ = 0;
};

std::vector<Item> read_items(const std::string& spec) {
  Reader r(spec);
  std::vector<Item> items;
  if (r.done()) fail(ErrorCode::kInvalidArgument, 1, "the spec is empty");
  while (true) {
    r.skip_spaces();
    Item item;
    item.column = r.column();
    item.name = r.name("a layer or activation name");
    if (r.accept("(")) {
      if (!r.accept(")")) {
        while (true) {
          r.skip_spaces();
          Arg arg;
          arg.column = r.column();
          // key=value or a plain value: look for '=' after a name.
          Reader probe = r;
          bool keyed = false;
          try {
            probe.name("");
            keyed = probe.accept("=");
          } catch (const Error&) {
            keyed = false;
          }
          if (keyed) {
            arg.key = r.name("a parameter name");
            r.accept("=");
          }
          arg.value = r.value();
          item.args.push_back(arg);
          if (r.accept(")")) break;
          if (!r.accept(",")) {
            fail(ErrorCode::kInvalidArgument, r.column(),
                 "expected ',' or ')' in the arguments of '" + item.name + "'");
          }
        }
      }
    }
    items.push_back(std::move(item));
    if (r.done()) break;
    if (!r.accept("->") && !r.accept(";")) {
      fail(ErrorCode::kInvalidArgument, r.column(),
           "expected '->' or ';' between layers after '" + items.back().name + "'");
    }
  }
  return items;
}

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t next =
          std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = row[j];
      row[j] = next;
    }
  }
  return row[b.size()];
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += "'" + names[i] + "'";
  }
  return out;
}

// Binds an item's arguments to named slots: positional ones in slot order, keyed ones by
// name. Slots without a default are required.
class Binder {
 public:
  struct Slot {
    std::string_view name;
    std::optional<double> default_value;
  };
  Binder(const Item& item, std::vector<Slot> slots) : item_(item), slots_(std::move(slots)) {
    values_.resize(slots_.size());
    columns_.resize(slots_.size(), item.column);
    std::size_t next_positional = 0;
    for (const Arg& arg : item.args) {
      std::size_t index = 0;
      if (arg.key.empty()) {
        if (next_positional == slots_.size()) {
          fail(ErrorCode::kInvalidParameter, arg.column,
               "'" + item.name + "' takes at most " + std::to_string(slots_.size()) + " arguments");
        }
        index = next_positional++;
      } else {
        index = find(arg);
      }
      if (values_[index]) {
        fail(ErrorCode::kInvalidParameter, arg.column,
             "'" + item.name + "': '" + std::string(slots_[index].name) + "' given twice");
      }
      values_[index] = arg.value;
      columns_[index] = arg.column;
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (!values_[i]) values_[i] = slots_[i].default_value;
      if (!values_[i]) {
        fail(ErrorCode::kInvalidParameter, item.column,
             "'" + item.name + "' needs '" + std::string(slots_[i].name) + "' (" + item.name + "(" +
                 signature() + "))");
      }
    }
  }
  double number(std::size_t i) const { return *values_[i]; }
  // A whole number ≥ min.
  std::size_t count(std::size_t i, double min) const {
    const double v = *values_[i];
    if (!(v >= min) || v != std::floor(v) || v > 1e9) {
      fail(ErrorCode::kInvalidParameter, columns_[i],
           "'" + item_.name + "': '" + std::string(slots_[i].name) + "' must be a whole number ≥ " +
               format_number(min) + ", got " + format_number(v));
    }
    return static_cast<std::size_t>(v);
  }
  bool flag(std::size_t i) const { return *values_[i] != 0.0; }

 private:
  std::size_t find(const Arg& arg) const {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].name == arg.key) return i;
    }
    std::vector<std::pair<std::size_t, std::string>> scored;
    for (const Slot& s : slots_) scored.emplace_back(edit_distance(arg.key, s.name), s.name);
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    std::string message = "'" + item_.name + "' has no parameter '" + arg.key + "'";
    if (!scored.empty() && scored[0].first <= 3)
      message += "; did you mean '" + scored[0].second + "'?";
    message += " (" + item_.name + "(" + signature() + "))";
    fail(ErrorCode::kUnknownName, arg.column, message);
  }
  std::string signature() const {
    std::string out;
    for (const Slot& s : slots_) {
      if (!out.empty()) out += ", ";
      out += s.name;
      if (s.default_value) out += "=" + format_number(*s.default_value);
    }
    return out;
  }
  const Item& item_;
  std::vector<Slot> slots_;
  std::vector<std::optional<double>> values_;
  std::vector<std::size_t> columns_;
};

constexpr std::array<std::string_view, 8> kLayerNames = {
    "dense", "linear", "conv2d", "max_pool2d", "avg_pool2d", "flatten", "dropout", "maxpool2d"};

[[noreturn]] void unknown_name(const Item& item) {
  // Suggest layer names and activation names together, closest first.
  std::vector<std::pair<std::size_t, std::string>> scored;
  const std::string wanted = lowercase(item.name);
  for (std::string_view layer : kLayerNames) {
    const std::size_t d = edit_distance(wanted, layer);
    if (d <= std::max<std::size_t>(2, wanted.size() / 3)) scored.emplace_back(d, layer);
  }
  for (std::string_view act : closest_names(item.name)) {
    scored.emplace_back(edit_distance(wanted, act), act);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> names;
  for (const auto& [distance, n] : scored) {
    if (names.size() < 3 && std::find(names.begin(), names.end(), n) == names.end()) {
      names.push_back(n);
    }
  }
  std::string message = "unknown layer or activation '" + item.name + "'";
  if (!names.empty()) message += "; did you mean " + quoted_list(names) + "?";
  fail(ErrorCode::kUnknownName, item.column, message);
}

std::unique_ptr<Layer> make_activation_item(const Item& item, std::uint64_t seed) {
  ActivationId id{};
  try {
    id = find_activation(item.name);
  } catch (const Error&) {
    unknown_name(item);
  }
  const ActivationInfo& meta = info(id);
  std::vector<std::pair<std::string, double>> params;
  std::size_t next_positional = 0;
  for (const Arg& arg : item.args) {
    if (!arg.key.empty()) {
      params.emplace_back(arg.key, arg.value);
      continue;
    }
    if (next_positional == meta.params.size()) {
      fail(
          ErrorCode::kInvalidParameter, arg.column,
          "'" + item.name + "' takes at most " + std::to_string(meta.params.size()) + " arguments");
    }
    params.emplace_back(std::string(meta.params.items[next_positional++].name), arg.value);
  }
  try {
    return make_activation(Activation::parse(item.name, params), seed);
  } catch (const Error& e) {
    fail(e.code(), item.column, e.what());
  }
}

std::unique_ptr<Layer> make_item(const Item& item, std::uint64_t seed) {
  const std::string name = lowercase(item.name);
  if (name == "dense" || name == "linear") {
    Binder b(item, {{"in_features", {}}, {"out_features", {}}, {"bias", 1.0}});
    return make_dense(b.count(0, 1), b.count(1, 1), b.flag(2));
  }
  if (name == "conv2d") {
    Binder b(item, {{"in_channels", {}},
                    {"out_channels", {}},
                    {"kernel_size", {}},
                    {"stride", 1.0},
                    {"padding", 0.0},
                    {"bias", 1.0}});
    return make_conv2d(b.count(0, 1), b.count(1, 1), b.count(2, 1), b.count(3, 1), b.count(4, 0),
                       b.flag(5));
  }
  if (name == "max_pool2d" || name == "maxpool2d" || name == "avg_pool2d") {
    Binder b(item, {{"kernel_size", {}}, {"stride", 0.0}});
    const std::size_t kernel = b.count(0, 1);
    const std::size_t stride = b.count(1, 0);
    return name == "avg_pool2d" ? make_avg_pool2d(kernel, stride) : make_max_pool2d(kernel, stride);
  }
  if (name == "flatten") {
    Binder b(item, {});
    return make_flatten();
  }
  if (name == "dropout") {
    Binder b(item, {{"p", 0.5}, {"seed", static_cast<double>(seed % (1ULL << 53))}});
    const double p = b.number(0);
    if (!(p >= 0.0 && p < 1.0)) {
      fail(ErrorCode::kInvalidParameter, item.column,
           "'dropout': p must lie in [0, 1), got " + format_number(p));
    }
    const double layer_seed = b.number(1);
    if (!(layer_seed >= 0.0 && layer_seed <= 9007199254740992.0) ||
        layer_seed != std::floor(layer_seed)) {
      fail(ErrorCode::kInvalidParameter, item.column,
           "'dropout': seed must be a whole number in [0, 2^53], got " + format_number(layer_seed));
    }
    return make_dropout(p, static_cast<std::uint64_t>(layer_seed));
  }
  return make_activation_item(item, seed);
}

}  // namespace

std::vector<std::unique_ptr<Layer>> parse_spec(const std::string& spec, std::uint64_t seed) {
  std::vector<std::unique_ptr<Layer>> layers;
  const std::vector<Item> items = read_items(spec);
  for (std::size_t i = 0; i < items.size(); ++i) {
    // A distinct, reproducible seed per position for layers with their own randomness
    // (splitmix64-style mixing so that neighbouring positions are unrelated).
    std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (i + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    layers.push_back(make_item(items[i], (z ^ (z >> 31)) % (1ULL << 53)));
  }
  return layers;
}

}  // namespace actlab::nn::detail
