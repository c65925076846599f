// The univariate Parzen estimator of Optuna 3.1's independent TPE
// (optuna/samplers/_tpe/parzen_estimator.py with consider_prior = True, multivariate = False).
// Private to src/study.
#pragma once

#include <cstddef>
#include <vector>

#include "actlab/study/trial.hpp"
#include "study/numpy_random.hpp"

namespace actlab::study {

struct ParzenOptions {
  double prior_weight = 1.0;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
  bool omit_log_sigma = true;  // Optuna 3.1's truncnorm log-density without −log σ
};

class ParzenEstimator {
 public:
  // `observations` are internal values (category indices, or floats; log floats untransformed).
  ParzenEstimator(const std::vector<double>& observations, const Distribution& distribution,
                  const ParzenOptions& options);
  // `size` candidates drawn as _ParzenEstimator.sample: the mixture components first
  // (choice with p = weights), then one uniform per candidate. Values in internal form.
  std::vector<double> sample(numpy::RandomState& rng, std::size_t size) const;
  // log of the mixture density (mass for categoricals) at each internal value.
  std::vector<double> log_pdf(const std::vector<double>& samples) const;

 private:
  Distribution distribution_;
  ParzenOptions options_;
  std::vector<double> weights_;  // per component, the prior last, normalised
  // Numerical parameters (in log space for log floats).
  double low_ = 0, high_ = 0;
  std::vector<double> mus_, sigmas_;
  // Categorical parameters: row k = component k's probabilities over the choices.
  std::vector<std::vector<double>> categorical_;
};

}  // namespace actlab::study
