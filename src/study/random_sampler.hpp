// Pieces shared by the random, grid and TPE samplers. Private to src/study.
#pragma once

#include <cstdint>
#include <string>

#include "actlab/study/trial.hpp"
#include "study/numpy_random.hpp"

namespace actlab::study {

// One draw of Optuna 3.1's RandomSampler.sample_independent from `rng`:
//  categorical with C choices: C uniform draws, the index of the first largest (Optuna
//    one-hot-encodes the choice, draws each column in [0, 1) and takes argmax);
//  float: low + (high − low)·u, in log space for log floats (then exp), capped below high
//    (min(v, nextafter(high, −∞))) as Optuna's _SearchSpaceTransform.untransform does.
double random_draw(numpy::RandomState& rng, const Distribution& distribution);

// The 32-bit RandomState seed of the kPerTrial stream for (seed, trial number, parameter):
//   s = splitmix64(splitmix64(splitmix64(seed) XOR number) XOR fnv1a64(parameter name)),
//   seed32 = s >> 32 (the high half),
// where splitmix64(x) is Vigna's finaliser of x + 0x9e3779b97f4a7c15 and fnv1a64 is the 64-bit
// FNV-1a hash of the name's bytes. Each (trial, parameter) pair thus owns a numpy
// RandomState(seed32) stream: the draws depend only on the seed, the trial number, the
// parameter and the history, never on which worker asks or what it sampled before.
std::uint32_t per_trial_seed(std::uint64_t seed, std::int64_t trial_number,
                             const std::string& param_name);

// numpy's RandomState(seed) accepts only 0 ≤ seed < 2^32; Error kInvalidParameter otherwise.
std::uint32_t faithful_seed(std::uint64_t seed);

}  // namespace actlab::study
