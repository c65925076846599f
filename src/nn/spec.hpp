// The model-spec parser behind Sequential::from_spec (grammar in actlab/nn/model.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actlab/nn/layer.hpp"

namespace actlab::nn::detail {

// The layers of `spec`, in order. Layers that draw random numbers of their own (dropout,
// rrelu) get seeds derived from `seed` and their position, so one spec and seed always
// give the same model. Parameters are left at their construction values: the caller
// initialises them. Errors name the item and its 1-based column in the spec:
//   kUnknownName for an unknown layer/activation/keyword (with the closest names),
//   kInvalidParameter for a missing, extra or out-of-range argument,
//   kInvalidArgument for text that is not a spec at all (unbalanced brackets, empty item).
std::vector<std::unique_ptr<Layer>> parse_spec(const std::string& spec, std::uint64_t seed);

}  // namespace actlab::nn::detail
