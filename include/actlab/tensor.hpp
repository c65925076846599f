// Tensor: float32, N-d, row-major (last dimension contiguous). An owning tensor has value
// semantics (copying copies the data); a view borrows memory it does not own (copying a
// view copies the view). Shape errors throw Error kInvalidArgument with both shapes.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "actlab/shape.hpp"

namespace actlab {

std::string shape_to_string(std::span<const std::size_t> shape);  // "(32, 1, 28, 28)"

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape, float fill = 0.0f);
  Tensor(Shape shape, std::vector<float> values);  // values.size() must match
  static Tensor view(Shape shape, std::span<float> memory);
  // An owning tensor whose elements are unspecified (not necessarily zero): for a result
  // that the caller overwrites entirely. It may reuse a buffer freed earlier on this thread.
  static Tensor uninitialized(Shape shape);

  ~Tensor();
  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&& other) noexcept;
  Tensor& operator=(Tensor&& other) noexcept;

  const Shape& shape() const { return shape_; }
  std::size_t rank() const { return shape_.size(); }
  std::size_t size() const { return size_; }
  // Size of dimension i; negative i counts from the end.
  std::size_t dim(int i) const;
  bool is_view() const { return storage_.empty() && data_ != nullptr; }

  float* raw() { return data_; }
  const float* raw() const { return data_; }
  std::span<float> data() { return {data_, size_}; }
  std::span<const float> data() const { return {data_, size_}; }
  float& operator[](std::size_t i) { return data_[i]; }
  float operator[](std::size_t i) const { return data_[i]; }
  // Element at a full multi-index (bounds-checked: Error on a bad index).
  float& at(std::initializer_list<std::size_t> index);
  float at(std::initializer_list<std::size_t> index) const;

  // The same elements with another shape of the same size: an owning copy.
  Tensor reshaped(Shape shape) const;
  // A view of the same memory with another shape of the same size.
  Tensor view_as(Shape shape);
  // This tensor (owning or view) takes another shape of the same size, in place.
  void reshape(Shape shape);
  // Rows [begin, end) of dimension 0, as a view.
  Tensor rows(std::size_t begin, std::size_t end);

  void fill(float value);
  // Throws Error kInvalidArgument unless shape() == expected; `what` names the operand.
  void expect_shape(std::span<const std::size_t> expected, const std::string& what) const;

 private:
  Shape shape_;
  std::size_t size_ = 0;
  std::vector<float> storage_;
  float* data_ = nullptr;
};

}  // namespace actlab
