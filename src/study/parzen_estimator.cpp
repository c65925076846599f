// Optuna 3.1's Parzen estimator for one parameter (see parzen_estimator.hpp). Operation order
// and numpy's reductions (pairwise sums) are kept so that a faithful TPE run matches Optuna's.
#include "study/parzen_estimator.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "study/tpe_truncnorm.hpp"

namespace actlab::study {
namespace {

// Optuna's default_weights(n): ones below 25 observations, else the oldest n − 25 ramp up
// linearly from 1/n to 1 and the newest 25 weigh 1.
std::vector<double> default_weights(std::size_t n) {
  if (n < 25) return std::vector<double>(n, 1.0);
  std::vector<double> w = numpy::linspace(1.0 / static_cast<double>(n), 1.0, n - 25);
  w.resize(n, 1.0);
  return w;
}

}  // namespace

ParzenEstimator::ParzenEstimator(const std::vector<double>& observations,
                                 const Distribution& distribution, const ParzenOptions& options)
    : distribution_(distribution), options_(options) {
  const std::size_t n = observations.size();
  // Weights: observations' weights, then the prior's; normalised by numpy's sum.
  weights_ = default_weights(n);
  weights_.push_back(options.prior_weight);
  const double total = numpy::pairwise_sum(weights_);
  for (double& w : weights_) w /= total;

  if (distribution.kind == Distribution::Kind::kCategorical) {
    // Every row gets prior_weight/(n+1) on each choice, plus 1 on its own observation
    // (the prior row has none), then is normalised.
    const std::size_t n_choices = distribution.choices.size();
    const double fill = options.prior_weight / static_cast<double>(n + 1);
    categorical_.assign(n + 1, std::vector<double>(n_choices, fill));
    for (std::size_t k = 0; k < n; ++k) {
      categorical_[k][static_cast<std::size_t>(observations[k])] += 1;
    }
    for (auto& row : categorical_) {
      const double sum = numpy::pairwise_sum(row);
      for (double& p : row) p /= sum;
    }
    return;
  }

  low_ = distribution.log ? numpy::log(distribution.low) : distribution.low;
  high_ = distribution.log ? numpy::log(distribution.high) : distribution.high;
  mus_.resize(n + 1);
  for (std::size_t k = 0; k < n; ++k) {
    mus_[k] = distribution.log ? numpy::log(observations[k]) : observations[k];
  }
  mus_[n] = 0.5 * (low_ + high_);  // the prior's centre

  // Each kernel's width is the larger gap to its sorted neighbours (the range's ends count as
  // neighbours); without consider_endpoints the outermost kernels use their inner gap only.
  std::vector<std::size_t> order(n + 1);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t i, std::size_t j) { return mus_[i] < mus_[j]; });
  std::vector<double> ends(n + 3);
  ends[0] = low_;
  for (std::size_t k = 0; k <= n; ++k) ends[k + 1] = mus_[order[k]];
  ends[n + 2] = high_;
  std::vector<double> sorted_sigmas(n + 1);
  for (std::size_t k = 0; k <= n; ++k) {
    sorted_sigmas[k] = std::max(ends[k + 1] - ends[k], ends[k + 2] - ends[k + 1]);
  }
  if (!options.consider_endpoints && ends.size() >= 4) {
    sorted_sigmas[0] = ends[2] - ends[1];
    sorted_sigmas[n] = ends[n + 1] - ends[n];
  }
  sigmas_.resize(n + 1);
  for (std::size_t k = 0; k <= n; ++k) sigmas_[order[k]] = sorted_sigmas[k];

  const double max_sigma = 1.0 * (high_ - low_);
  const double min_sigma =
      options.consider_magic_clip
          ? 1.0 * (high_ - low_) / std::min(100.0, 1.0 + static_cast<double>(n + 1))
          : 1e-12;
  for (double& s : sigmas_) s = std::clamp(s, min_sigma, max_sigma);
  sigmas_[n] = 1.0 * (high_ - low_);  // the prior's width
}

std::vector<double> ParzenEstimator::sample(numpy::RandomState& rng, std::size_t size) const {
  const std::vector<std::size_t> active = rng.choice(weights_, size);
  std::vector<double> out(size);
  if (distribution_.kind == Distribution::Kind::kCategorical) {
    // rng.rand(size), then per candidate the number of cumulative probabilities below its draw.
    std::vector<double> u(size);
    for (double& v : u) v = rng.random_sample();
    for (std::size_t k = 0; k < size; ++k) {
      const std::vector<double>& row = categorical_[active[k]];
      double cum = 0;
      std::size_t below = 0;
      for (double p : row) below += (cum += p) < u[k] ? 1 : 0;
      out[k] = static_cast<double>(below);
    }
    return out;
  }
  std::vector<double> q(size);
  for (double& v : q) v = rng.uniform(0.0, 1.0);
  for (std::size_t k = 0; k < size; ++k) {
    const double mu = mus_[active[k]];
    const double sigma = sigmas_[active[k]];
    const double a = (low_ - mu) / sigma;
    const double b = (high_ - mu) / sigma;
    const double x = truncnorm::ppf(q[k], a, b) * sigma + mu;
    out[k] = distribution_.log ? std::exp(x) : x;
  }
  return out;
}

std::vector<double> ParzenEstimator::log_pdf(const std::vector<double>& samples) const {
  std::vector<double> out(samples.size());
  const std::size_t n_components = weights_.size();
  if (distribution_.kind == Distribution::Kind::kCategorical) {
    // A single categorical parameter: log(Σ_k w_k · p_k(choice)). Optuna computes the sums
    // with np.inner(weights_matrix.T, w), which numpy hands to BLAS as a column-major dgemv;
    // the same OpenBLAS call here reproduces its rounding (FMA, blocked columns), which
    // decides exact ties between categories with equal counts.
    const std::size_t n_choices = distribution_.choices.size();
    std::vector<double> matrix;  // row-major (components × choices) = column-major C × K
    matrix.reserve(n_components * n_choices);
    for (const auto& row : categorical_) matrix.insert(matrix.end(), row.begin(), row.end());
    std::vector<double> mass(n_choices, 0.0);
    cblas_dgemv(CblasColMajor, CblasNoTrans, static_cast<int>(n_choices),
                static_cast<int>(n_components), 1.0, matrix.data(),
                static_cast<int>(std::max<std::size_t>(n_choices, 1)), weights_.data(), 1, 0.0,
                mass.data(), 1);
    for (std::size_t i = 0; i < samples.size(); ++i) {
      out[i] = numpy::log(mass[static_cast<std::size_t>(samples[i])]);
    }
    return out;
  }
  std::vector<double> log_weights(n_components), a(n_components), b(n_components);
  for (std::size_t k = 0; k < n_components; ++k) {
    log_weights[k] = numpy::log(weights_[k]);
    a[k] = (low_ - mus_[k]) / sigmas_[k];
    b[k] = (high_ - mus_[k]) / sigmas_[k];
  }
  std::vector<double> row(n_components);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double x = distribution_.log ? numpy::log(samples[i]) : samples[i];
    for (std::size_t k = 0; k < n_components; ++k) {
      row[k] = (0.0 + truncnorm::logpdf(x, a[k], b[k], mus_[k], sigmas_[k],
                                        options_.omit_log_sigma)) +
               log_weights[k];
    }
    // logsumexp as Optuna writes it: max, then log Σ exp(· − max) + max.
    const double max = *std::max_element(row.begin(), row.end());
    for (double& v : row) v = std::exp(v - max);
    out[i] = numpy::log(numpy::pairwise_sum(row)) + max;
  }
  return out;
}

}  // namespace actlab::study
