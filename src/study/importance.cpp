// Parameter importance (include/actlab/study/report.hpp): functional ANOVA on a random forest,
// as Optuna's default FanovaImportanceEvaluator (64 trees, max_depth 64, bootstrap samples,
// every feature tried at every split). Each tree cuts the search space into boxes; a
// parameter's main effect is the tree's prediction averaged over all other parameters
// (uniformly over the space), and its importance is the variance of that main effect over
// the parameter's own range divided by the tree's total variance, averaged over the trees.
//
// Differences from Optuna, on purpose: log floats live in log space (so "uniform over the
// space" means what the sampler means), and a categorical is split into two sets of choices
// (ordered by mean value, Breiman's exact rule for regression) instead of one-hot columns.
// The fractions are not renormalised to sum 1: the main effects explain at most the total
// variance, and what is left is the parameters' interactions.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "actlab/random.hpp"
#include "actlab/study/report.hpp"

namespace actlab::study {
namespace {

constexpr std::size_t kTrees = 64;
constexpr std::size_t kMaxDepth = 64;

// One parameter's coordinate: a categorical index (its cells are the choices) or a float,
// in log10 space for log distributions.
struct Feature {
  bool categorical = false;
  std::size_t choices = 0;  // categorical
  double lo = 0, hi = 1;    // float, transformed
};

struct Node {
  int feature = -1;  // −1: leaf
  double threshold = 0;            // float split: x ≤ threshold goes left
  std::vector<char> left_choices;  // categorical split: choices that go left
  std::size_t left = 0, right = 0;
  double value = 0;  // leaf: mean objective of its samples
};

// A leaf's region: per feature an interval (floats) or a set of choices (categoricals).
struct Box {
  std::vector<double> lo, hi;
  std::vector<std::vector<char>> choices;
};

class TreeBuilder {
 public:
  TreeBuilder(const std::vector<Feature>& features, const std::vector<std::vector<double>>& x,
              const std::vector<double>& y)
      : features_(features), x_(x), y_(y) {}

  std::vector<Node> build(std::vector<std::size_t> samples) {
    nodes_.clear();
    grow(std::move(samples), 0);
    return std::move(nodes_);
  }

 private:
  struct Split {
    double gain = 0;
    int feature = -1;
    double threshold = 0;
    std::vector<char> left_choices;
  };

  std::size_t grow(std::vector<std::size_t> samples, std::size_t depth) {
    const std::size_t index = nodes_.size();
    nodes_.emplace_back();
    double sum = 0;
    for (std::size_t s : samples) sum += y_[s];
    nodes_[index].value = sum / static_cast<double>(samples.size());
    if (samples.size() < 2 || depth >= kMaxDepth) return index;
    const Split best = best_split(samples);
    if (best.feature < 0) return index;  // pure node or no split separates the samples

    std::vector<std::size_t> left, right;
    for (std::size_t s : samples) (goes_left(best, x_[s]) ? left : right).push_back(s);
    const std::size_t l = grow(std::move(left), depth + 1);
    const std::size_t r = grow(std::move(right), depth + 1);
    Node& node = nodes_[index];
    node.feature = best.feature;
    node.threshold = best.threshold;
    node.left_choices = best.left_choices;
    node.left = l;
    node.right = r;
    return index;
  }

  bool goes_left(const Split& split, const std::vector<double>& row) const {
    const auto f = static_cast<std::size_t>(split.feature);
    if (features_[f].categorical) return split.left_choices[static_cast<std::size_t>(row[f])] != 0;
    return row[f] <= split.threshold;
  }

  // The split with the largest decrease of the squared error, over every feature. With the
  // samples sorted by the feature (floats) or the choices by their mean (categoricals), the
  // best split is a prefix; the gain of a prefix is nL·mL² + nR·mR² − n·m².
  Split best_split(const std::vector<std::size_t>& samples) const {
    Split best;
    const double n = static_cast<double>(samples.size());
    double total = 0;
    for (std::size_t s : samples) total += y_[s];
    const double base = total * total / n;
    const auto consider = [&](double left_sum, double left_n, int feature) {
      const double right_n = n - left_n, right_sum = total - left_sum;
      const double gain = left_sum * left_sum / left_n + right_sum * right_sum / right_n - base;
      // A relative tolerance so that rounding noise on a pure node is never a split.
      if (gain > best.gain + 1e-12 * (std::abs(base) + 1)) {
        best.gain = gain;
        best.feature = feature;
        return true;
      }
      return false;
    };
    for (std::size_t f = 0; f < features_.size(); ++f) {
      const int fi = static_cast<int>(f);
      if (features_[f].categorical) {
        const std::size_t k = features_[f].choices;
        std::vector<double> sums(k, 0), counts(k, 0);
        for (std::size_t s : samples) {
          const auto c = static_cast<std::size_t>(x_[s][f]);
          sums[c] += y_[s];
          counts[c] += 1;
        }
        std::vector<std::size_t> present;
        for (std::size_t c = 0; c < k; ++c) {
          if (counts[c] > 0) present.push_back(c);
        }
        std::stable_sort(present.begin(), present.end(), [&](std::size_t a, std::size_t b) {
          return sums[a] / counts[a] < sums[b] / counts[b];
        });
        double left_sum = 0, left_n = 0;
        for (std::size_t i = 0; i + 1 < present.size(); ++i) {
          left_sum += sums[present[i]];
          left_n += counts[present[i]];
          if (consider(left_sum, left_n, fi)) {
            // Choices absent from this node follow the larger side, so that the tree still
            // predicts something for every choice.
            const bool absent_left = left_n > n - left_n;
            best.left_choices.assign(k, absent_left ? 1 : 0);
            for (std::size_t j = 0; j < present.size(); ++j) {
              best.left_choices[present[j]] = j <= i ? 1 : 0;
            }
          }
        }
      } else {
        std::vector<std::size_t> order = samples;
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return x_[a][f] < x_[b][f]; });
        double left_sum = 0;
        for (std::size_t i = 0; i + 1 < order.size(); ++i) {
          left_sum += y_[order[i]];
          const double a = x_[order[i]][f], b = x_[order[i + 1]][f];
          if (a == b) continue;  // a threshold must fall between distinct values
          if (consider(left_sum, static_cast<double>(i + 1), fi)) {
            best.threshold = 0.5 * (a + b);
            best.left_choices.clear();
          }
        }
      }
    }
    return best;
  }

  const std::vector<Feature>& features_;
  const std::vector<std::vector<double>>& x_;
  const std::vector<double>& y_;
  std::vector<Node> nodes_;
};

void collect_leaves(const std::vector<Node>& tree, const std::vector<Feature>& features,
                    std::size_t node, Box box, std::vector<std::pair<Box, double>>& leaves) {
  const Node& n = tree[node];
  if (n.feature < 0) {
    leaves.emplace_back(std::move(box), n.value);
    return;
  }
  const auto f = static_cast<std::size_t>(n.feature);
  Box left = box, right = std::move(box);
  if (features[f].categorical) {
    for (std::size_t c = 0; c < features[f].choices; ++c) {
      if (n.left_choices[c]) {
        right.choices[f][c] = 0;
      } else {
        left.choices[f][c] = 0;
      }
    }
  } else {
    left.hi[f] = std::min(left.hi[f], n.threshold);
    right.lo[f] = std::max(right.lo[f], n.threshold);
  }
  collect_leaves(tree, features, n.left, std::move(left), leaves);
  collect_leaves(tree, features, n.right, std::move(right), leaves);
}

// The fraction of feature f's range a leaf covers.
double coverage(const Feature& feature, const Box& box, std::size_t f) {
  if (feature.categorical) {
    const auto in = std::count(box.choices[f].begin(), box.choices[f].end(), char{1});
    return static_cast<double>(in) / static_cast<double>(feature.choices);
  }
  return std::max(0.0, box.hi[f] - box.lo[f]) / (feature.hi - feature.lo);
}

// Variance of the tree's prediction over the space, and of each feature's main effect.
std::vector<double> tree_fractions(const std::vector<Node>& tree,
                                   const std::vector<Feature>& features) {
  const std::size_t d = features.size();
  Box root;
  root.lo.resize(d);
  root.hi.resize(d);
  root.choices.resize(d);
  for (std::size_t f = 0; f < d; ++f) {
    root.lo[f] = features[f].lo;
    root.hi[f] = features[f].hi;
    if (features[f].categorical) root.choices[f].assign(features[f].choices, 1);
  }
  std::vector<std::pair<Box, double>> leaves;
  collect_leaves(tree, features, 0, root, leaves);

  // cover[l][f]: leaf l's share of feature f; volume = their product.
  std::vector<std::vector<double>> cover(leaves.size(), std::vector<double>(d));
  std::vector<double> volume(leaves.size(), 1.0);
  double mean = 0;
  for (std::size_t l = 0; l < leaves.size(); ++l) {
    for (std::size_t f = 0; f < d; ++f) {
      cover[l][f] = coverage(features[f], leaves[l].first, f);
      volume[l] *= cover[l][f];
    }
    mean += volume[l] * leaves[l].second;
  }
  double total = 0;
  for (std::size_t l = 0; l < leaves.size(); ++l) {
    total += volume[l] * (leaves[l].second - mean) * (leaves[l].second - mean);
  }
  std::vector<double> fractions(d, 0.0);
  if (!(total > 0)) return {};

  for (std::size_t f = 0; f < d; ++f) {
    // Cells of feature f on which the main effect is constant: the choices, or the
    // intervals between the tree's thresholds on f. Each cell: (point inside, weight).
    std::vector<std::pair<double, double>> cells;
    if (features[f].categorical) {
      const double w = 1.0 / static_cast<double>(features[f].choices);
      for (std::size_t c = 0; c < features[f].choices; ++c) {
        cells.emplace_back(static_cast<double>(c), w);
      }
    } else {
      std::vector<double> cuts{features[f].lo, features[f].hi};
      for (const Node& n : tree) {
        if (n.feature == static_cast<int>(f)) cuts.push_back(n.threshold);
      }
      std::sort(cuts.begin(), cuts.end());
      cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
      for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
        cells.emplace_back(0.5 * (cuts[i] + cuts[i + 1]),
                           (cuts[i + 1] - cuts[i]) / (features[f].hi - features[f].lo));
      }
    }
    double effect_mean = 0;
    std::vector<double> effect(cells.size(), 0.0);
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const double point = cells[c].first;
      for (std::size_t l = 0; l < leaves.size(); ++l) {
        const Box& box = leaves[l].first;
        const bool inside = features[f].categorical
                                ? box.choices[f][static_cast<std::size_t>(point)] != 0
                                : (point >= box.lo[f] && point <= box.hi[f]);
        if (!inside || cover[l][f] <= 0) continue;
        // The leaf's share of the other features' space.
        effect[c] += leaves[l].second * volume[l] / cover[l][f];
      }
      effect_mean += cells[c].second * effect[c];
    }
    double variance = 0;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      variance += cells[c].second * (effect[c] - effect_mean) * (effect[c] - effect_mean);
    }
    fractions[f] = std::clamp(variance / total, 0.0, 1.0);
  }
  return fractions;
}

}  // namespace

std::vector<Importance> parameter_importance(const SearchSpace& space,
                                             const std::vector<Trial>& trials,
                                             std::uint64_t seed) {
  std::vector<Feature> features;
  for (const ParamSpec& p : space) {
    Feature f;
    if (p.distribution.kind == Distribution::Kind::kCategorical) {
      f.categorical = true;
      f.choices = p.distribution.choices.size();
    } else if (p.distribution.log) {
      f.lo = std::log10(p.distribution.low);
      f.hi = std::log10(p.distribution.high);
    } else {
      f.lo = p.distribution.low;
      f.hi = p.distribution.high;
    }
    features.push_back(f);
  }
  // The COMPLETE trials with a finite value and every parameter of the space in range.
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  for (const Trial& t : trials) {
    if (t.state != TrialState::kComplete || !t.value || !std::isfinite(*t.value)) continue;
    std::vector<double> row;
    for (const ParamSpec& p : space) {
      const auto it = t.params.find(p.name);
      if (it == t.params.end() || !p.distribution.contains(it->second)) break;
      row.push_back(p.distribution.kind == Distribution::Kind::kFloat && p.distribution.log
                        ? std::log10(it->second)
                        : it->second);
    }
    if (row.size() != space.size()) continue;
    x.push_back(std::move(row));
    y.push_back(*t.value);
  }
  if (x.size() < 2 || space.empty()) return {};

  std::vector<double> sum(space.size(), 0.0);
  std::size_t counted = 0;
  Rng rng(seed);
  TreeBuilder builder(features, x, y);
  for (std::size_t t = 0; t < kTrees; ++t) {
    // A bootstrap sample, as scikit-learn's RandomForestRegressor (bootstrap=True).
    std::vector<std::size_t> samples(x.size());
    for (std::size_t& s : samples) s = static_cast<std::size_t>(rng.below(x.size()));
    const std::vector<double> fractions = tree_fractions(builder.build(samples), features);
    if (fractions.empty()) continue;  // a constant tree explains nothing; Optuna skips it too
    for (std::size_t f = 0; f < fractions.size(); ++f) sum[f] += fractions[f];
    ++counted;
  }
  std::vector<Importance> out;
  for (std::size_t f = 0; f < space.size(); ++f) {
    out.push_back({space[f].name, counted ? sum[f] / static_cast<double>(counted) : 0.0});
  }
  return out;
}

}  // namespace actlab::study
