// Helpers shared by the layer implementations (src/nn/*.cpp): initialisation, spec text
// and the shape errors of the layer contract.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "actlab/nn/layer.hpp"
#include "actlab/random.hpp"
#include "actlab/tensor.hpp"

namespace actlab::nn::detail {

// The seed a layer's constructor draws its first parameters from, so that a layer is usable
// before reset_parameters (Sequential::from_spec always calls reset_parameters).
inline constexpr std::uint64_t kConstructionSeed = 0x5eed'ac71'ab00'0001ULL;

// Fills weight and bias (bias may be null) per `init`:
//   kPyTorchDefault: weight and bias U(±1/√fan_in) (Kaiming-uniform with a = √5);
//   kXavierUniform:  weight U(±√(6/(fan_in + fan_out))), bias 0;
//   kHeNormal:       weight N(0, 2/fan_in), bias 0.
// Draws the weight first, then the bias, element by element in storage order.
void initialise(Init init, std::size_t fan_in, std::size_t fan_out, Rng& rng, Tensor& weight,
                Tensor* bias);

// Shortest text that reads back as the same double ("0.5", "0.1", "1e-05").
std::string format_number(double value);

// Throws Error kInvalidArgument: "<spec>: <what> has shape <got>, expected <expected>".
[[noreturn]] void throw_shape_error(const std::string& spec, const std::string& what,
                                    std::span<const std::size_t> got, const std::string& expected);
// Makes `kept` an owning copy of `src` (reusing its memory when the shape is unchanged): a
// layer must not keep a view, whose memory the caller may reuse before backward.
void keep_copy(const Tensor& src, Tensor& kept);
// Checks that backward follows a forward and that grad_output has the output's shape.
void check_backward(const std::string& spec, bool have_forward, const Tensor& grad_output,
                    std::span<const std::size_t> output_shape);

}  // namespace actlab::nn::detail
