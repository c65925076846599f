// The random and grid samplers, make_sampler, and the seeding helpers shared with TPE.
#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>
#include <optional>

#include "actlab/error.hpp"
#include "actlab/study/sampler.hpp"
#include "study/random_sampler.hpp"

namespace actlab::study {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  std::uint64_t z = x + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t fnv1a64(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

class RandomSampler final : public Sampler {
 public:
  RandomSampler(std::uint64_t seed, Seeding seeding) : seed_(seed), seeding_(seeding) {
    if (seeding == Seeding::kFaithful) rng_.emplace(faithful_seed(seed));
  }
  double sample(const std::vector<Trial>&, const Trial& current, const ParamSpec& param) override {
    if (seeding_ == Seeding::kFaithful) {
      std::lock_guard<std::mutex> lock(mutex_);
      return random_draw(*rng_, param.distribution);
    }
    numpy::RandomState rng(per_trial_seed(seed_, current.number, param.name));
    return random_draw(rng, param.distribution);
  }
  std::string name() const override { return "random"; }

 private:
  std::uint64_t seed_;
  Seeding seeding_;
  std::mutex mutex_;
  std::optional<numpy::RandomState> rng_;  // kFaithful: the one advancing stream
};

// Visits the grid's points in a seeded shuffled order; each trial takes the first point of
// that order that the fewest trials of the history (any state, as Optuna counts running
// trials too) have visited and that agrees with the parameters the trial already has.
// Stateless given the history, so every worker agrees on the next point.
class GridSampler final : public Sampler {
 public:
  GridSampler(const SearchSpace& space, std::vector<GridAxis> grid, std::uint64_t seed) {
    for (const ParamSpec& p : space) {
      const auto axis = std::find_if(grid.begin(), grid.end(),
                                     [&](const GridAxis& a) { return a.name == p.name; });
      if (axis == grid.end() || axis->internal_values.empty()) {
        throw Error(ErrorCode::kInvalidParameter,
                    "grid sampler: parameter '" + p.name + "' has no grid values");
      }
      for (double v : axis->internal_values) {
        if (!p.distribution.contains(v)) {
          throw Error(ErrorCode::kInvalidParameter, "grid sampler: value " + std::to_string(v) +
                                                        " lies outside parameter '" + p.name +
                                                        "'");
        }
      }
      axes_.push_back(*axis);
    }
    std::size_t total = 1;
    for (const GridAxis& a : axes_) total *= a.internal_values.size();
    order_.resize(total);
    std::iota(order_.begin(), order_.end(), 0);
    numpy::RandomState rng(static_cast<std::uint32_t>(seed ^ (seed >> 32)));
    rng.shuffle(order_);
  }

  double sample(const std::vector<Trial>& history, const Trial& current,
                const ParamSpec& param) override {
    std::vector<std::size_t> visits(order_.size(), 0);
    for (const Trial& t : history) {
      const std::optional<std::size_t> id = point_of(t);
      if (id) ++visits[*id];
    }
    std::optional<std::size_t> best;
    for (std::size_t id : order_) {
      if (!agrees(id, current)) continue;
      if (!best || visits[id] < visits[*best]) best = id;
    }
    if (!best) {
      throw Error(ErrorCode::kInvalidParameter,
                  "grid sampler: the trial's parameters are not on the grid");
    }
    for (std::size_t axis = 0; axis < axes_.size(); ++axis) {
      if (axes_[axis].name == param.name) return value(*best, axis);
    }
    throw Error(ErrorCode::kInvalidParameter,
                "grid sampler: parameter '" + param.name + "' has no grid values");
  }
  std::string name() const override { return "grid"; }

 private:
  // The value on `axis` of grid point `id` (mixed radix, the last axis fastest).
  double value(std::size_t id, std::size_t axis) const {
    for (std::size_t a = axes_.size(); a-- > axis + 1;) id /= axes_[a].internal_values.size();
    return axes_[axis].internal_values[id % axes_[axis].internal_values.size()];
  }
  bool agrees(std::size_t id, const Trial& t) const {
    for (std::size_t axis = 0; axis < axes_.size(); ++axis) {
      const auto it = t.params.find(axes_[axis].name);
      if (it != t.params.end() && it->second != value(id, axis)) return false;
    }
    return true;
  }
  std::optional<std::size_t> point_of(const Trial& t) const {
    std::size_t id = 0;
    for (const GridAxis& a : axes_) {
      const auto it = t.params.find(a.name);
      if (it == t.params.end()) return std::nullopt;
      const auto v = std::find(a.internal_values.begin(), a.internal_values.end(), it->second);
      if (v == a.internal_values.end()) return std::nullopt;
      id = id * a.internal_values.size() +
           static_cast<std::size_t>(v - a.internal_values.begin());
    }
    return id;
  }

  std::vector<GridAxis> axes_;      // in search-space order
  std::vector<std::size_t> order_;  // the shuffled visiting order of the grid points
};

}  // namespace

double random_draw(numpy::RandomState& rng, const Distribution& d) {
  if (d.kind == Distribution::Kind::kCategorical) {
    std::size_t best = 0;
    double best_u = -1;
    for (std::size_t c = 0; c < d.choices.size(); ++c) {
      const double u = rng.uniform(0.0, 1.0);
      if (u > best_u) {
        best_u = u;
        best = c;
      }
    }
    return static_cast<double>(best);
  }
  const double cap = std::nextafter(d.high, -std::numeric_limits<double>::infinity());
  if (d.log) {
    return std::min(std::exp(rng.uniform(std::log(d.low), std::log(d.high))), cap);
  }
  return std::min(rng.uniform(d.low, d.high), cap);
}

std::uint32_t per_trial_seed(std::uint64_t seed, std::int64_t trial_number,
                             const std::string& param_name) {
  const std::uint64_t s =
      splitmix64(splitmix64(splitmix64(seed) ^ static_cast<std::uint64_t>(trial_number)) ^
                 fnv1a64(param_name));
  return static_cast<std::uint32_t>(s >> 32);
}

std::uint32_t faithful_seed(std::uint64_t seed) {
  if (seed > 0xffffffffULL) {
    throw Error(ErrorCode::kInvalidParameter,
                "a faithful (Optuna-reproducing) seed must lie in 0 … 2^32 − 1, as numpy's "
                "RandomState requires; got " + std::to_string(seed));
  }
  return static_cast<std::uint32_t>(seed);
}

std::unique_ptr<Sampler> make_random_sampler(std::uint64_t seed, Seeding seeding) {
  return std::make_unique<RandomSampler>(seed, seeding);
}

std::unique_ptr<Sampler> make_grid_sampler(const SearchSpace& space, std::vector<GridAxis> grid,
                                           std::uint64_t seed) {
  return std::make_unique<GridSampler>(space, std::move(grid), seed);
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, const SearchSpace& space,
                                      std::uint64_t seed) {
  if (name == "tpe" || name == "tpe-faithful") {
    TpeOptions options;
    options.seed = seed;
    options.seeding = name == "tpe" ? Seeding::kPerTrial : Seeding::kFaithful;
    return make_tpe_sampler(options);
  }
  if (name == "random") return make_random_sampler(seed, Seeding::kPerTrial);
  if (name == "grid") {
    // Every choice of each categorical × 5 steps of each float (log steps for log floats),
    // ends included.
    constexpr int kFloatSteps = 5;
    std::vector<GridAxis> grid;
    for (const ParamSpec& p : space) {
      GridAxis axis{p.name, {}};
      const Distribution& d = p.distribution;
      if (d.kind == Distribution::Kind::kCategorical) {
        for (std::size_t c = 0; c < d.choices.size(); ++c) {
          axis.internal_values.push_back(static_cast<double>(c));
        }
      } else {
        const double lo = d.log ? std::log(d.low) : d.low;
        const double hi = d.log ? std::log(d.high) : d.high;
        for (int k = 0; k < kFloatSteps; ++k) {
          const double t = lo + (hi - lo) * k / (kFloatSteps - 1);
          axis.internal_values.push_back(k == 0                   ? d.low
                                         : k == kFloatSteps - 1   ? d.high
                                         : d.log                  ? std::exp(t)
                                                                  : t);
        }
      }
      grid.push_back(std::move(axis));
    }
    return make_grid_sampler(space, std::move(grid), seed);
  }
  throw Error(ErrorCode::kUnknownName,
              "unknown sampler '" + name + "'; choose tpe, tpe-faithful, random or grid");
}

}  // namespace actlab::study
