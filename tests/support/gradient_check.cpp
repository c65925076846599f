#include "support/gradient_check.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "actlab/random.hpp"

namespace actlab::test {
namespace {

constexpr double kFloatEps = std::numeric_limits<float>::epsilon();

// Hands out the layer to evaluate: the same instance, or a fresh one from the factory.
class LayerSource {
 public:
  explicit LayerSource(nn::Layer& layer) : fixed_(&layer) {}
  explicit LayerSource(const LayerFactory& make) : make_(&make) {}
  nn::Layer& get() {
    if (fixed_ != nullptr) return *fixed_;
    fresh_ = (*make_)();
    return *fresh_;
  }

 private:
  nn::Layer* fixed_ = nullptr;
  const LayerFactory* make_ = nullptr;
  std::unique_ptr<nn::Layer> fresh_;
};

std::string index_text(const Shape& shape, std::size_t flat) {
  std::vector<std::size_t> index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = shape[d] == 0 ? 0 : flat % shape[d];
    flat = shape[d] == 0 ? 0 : flat / shape[d];
  }
  return shape_to_string(index);
}

// L = Σ r·y in double, with the output it came from (for the noise estimate).
struct Evaluation {
  double loss = 0;
  Tensor output;
};

Evaluation evaluate(nn::Layer& layer, const Tensor& input, const Tensor& r, bool training) {
  Evaluation e;
  e.output = layer.forward(input, training);
  for (std::size_t i = 0; i < r.size(); ++i) {
    e.loss += static_cast<double>(r[i]) * static_cast<double>(e.output[i]);
  }
  return e;
}

double noise_between(const Evaluation& plus, const Evaluation& minus, const Tensor& r) {
  double sum = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (plus.output[i] != minus.output[i]) {
      sum += std::abs(static_cast<double>(r[i])) *
             std::max(std::abs(static_cast<double>(plus.output[i])),
                      std::abs(static_cast<double>(minus.output[i])));
    }
  }
  return 16 * kFloatEps * sum;
}

// Compares one analytic gradient tensor with finite differences; `perturb(i, v)` sets
// entry i of the differentiated tensor to v in a layer and returns that layer's L.
struct Comparison {
  std::size_t bad = 0;
  std::string report;
};

template <typename Perturb>
void compare(const std::string& name, const Shape& shape, const Tensor& analytic,
             const Tensor& values, const GradCheckOptions& o, const Tensor& r, Perturb perturb,
             Comparison& result) {
  double scale = 0;
  for (float a : analytic.data()) scale = std::max(scale, std::abs(static_cast<double>(a)));
  std::ostringstream out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const float v = values[i];
    const float up = static_cast<float>(v + o.step);
    const float down = static_cast<float>(v - o.step);
    const Evaluation plus = perturb(i, up);
    const Evaluation minus = perturb(i, down);
    const double numeric =
        (plus.loss - minus.loss) / (static_cast<double>(up) - static_cast<double>(down));
    const double a = analytic[i];
    const double noise =
        noise_between(plus, minus, r) / (static_cast<double>(up) - static_cast<double>(down));
    const double tolerance = noise + o.atol_scale * scale + o.rtol * std::abs(a) + 1e-7;
    if (!(std::abs(numeric - a) <= tolerance)) {
      if (result.bad < o.max_printed) {
        out << "  " << name << index_text(shape, i) << " at " << v << ": analytic " << a
            << ", numeric " << numeric << ", |diff| " << std::abs(numeric - a) << " > tolerance "
            << tolerance << "\n";
      }
      ++result.bad;
    }
  }
  result.report += out.str();
}

::testing::AssertionResult check(LayerSource& source, const Tensor& input,
                                 const GradCheckOptions& o) {
  nn::Layer& layer = source.get();
  const std::string spec = layer.spec();
  layer.zero_grad();
  Tensor output = layer.forward(input, o.training);
  const Shape expected = layer.output_shape(input.shape());
  if (output.shape() != expected) {
    return ::testing::AssertionFailure()
           << spec << ": forward returned shape " << shape_to_string(output.shape())
           << " but output_shape() says " << shape_to_string(expected);
  }
  Tensor r(output.shape());
  Rng rng(o.seed);
  for (float& v : r.data()) v = static_cast<float>(rng.uniform(-1, 1));

  // Analytic gradients, then the accumulation check with a second backward.
  const Tensor grad_input = layer.backward(r);
  if (grad_input.shape() != input.shape()) {
    return ::testing::AssertionFailure()
           << spec << ": backward returned shape " << shape_to_string(grad_input.shape())
           << " for an input of shape " << shape_to_string(input.shape());
  }
  std::vector<nn::Parameter> params = layer.parameters();
  std::vector<Tensor> grads;
  for (const nn::Parameter& p : params) grads.push_back(*p.grad);
  const Tensor grad_input_again = layer.backward(r);
  std::ostringstream accumulation;
  for (std::size_t i = 0; i < grad_input.size(); ++i) {
    if (grad_input_again[i] != grad_input[i]) {
      accumulation << "  second backward: input gradient" << index_text(input.shape(), i) << " "
                   << grad_input_again[i] << " != first " << grad_input[i] << "\n";
      break;
    }
  }
  for (std::size_t k = 0; k < params.size(); ++k) {
    double scale = 0;
    for (float g : grads[k].data()) scale = std::max(scale, std::abs(static_cast<double>(g)));
    for (std::size_t i = 0; i < grads[k].size(); ++i) {
      const double twice = 2.0 * grads[k][i];
      const double got = (*params[k].grad)[i];
      if (std::abs(got - twice) > 1e-5 * scale + 1e-12) {
        accumulation << "  second backward: " << params[k].name << index_text(grads[k].shape(), i)
                     << " gradient " << got << ", expected twice the first = " << twice
                     << " (backward must add)\n";
        break;
      }
    }
  }
  if (!accumulation.str().empty()) {
    return ::testing::AssertionFailure() << spec << ": backward does not accumulate\n"
                                         << accumulation.str();
  }

  Comparison result;
  Tensor x = input;
  compare(
      "input", input.shape(), grad_input, input, o, r,
      [&](std::size_t i, float v) {
        const float saved = x[i];
        x[i] = v;
        Evaluation e = evaluate(source.get(), x, r, o.training);
        x[i] = saved;
        return e;
      },
      result);
  for (std::size_t k = 0; k < params.size(); ++k) {
    const Tensor values = *params[k].value;
    compare(
        params[k].name, values.shape(), grads[k], values, o, r,
        [&](std::size_t i, float v) {
          nn::Layer& l = source.get();
          Tensor& value = *l.parameters()[k].value;
          const float saved = value[i];
          value[i] = v;
          Evaluation e = evaluate(l, input, r, o.training);
          value[i] = saved;
          return e;
        },
        result);
  }
  if (result.bad > 0) {
    return ::testing::AssertionFailure()
           << spec << ": " << result.bad << " gradient entries differ from finite differences"
           << " (input " << shape_to_string(input.shape()) << ", h = " << o.step << ")\n"
           << result.report;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace

::testing::AssertionResult check_layer_gradients(nn::Layer& layer, const Tensor& input,
                                                 const GradCheckOptions& options) {
  LayerSource source(layer);
  return check(source, input, options);
}

::testing::AssertionResult check_layer_gradients(const LayerFactory& make, const Tensor& input,
                                                 const GradCheckOptions& options) {
  LayerSource source(make);
  return check(source, input, options);
}

}  // namespace actlab::test
