#include "actlab/tensor.hpp"

#include <algorithm>

#include "actlab/error.hpp"

namespace actlab {

std::string shape_to_string(std::span<const std::size_t> shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + ")";
}

Tensor::Tensor(Shape shape, float fill)
    : shape_(std::move(shape)), size_(element_count(shape_)), storage_(size_, fill),
      data_(storage_.data()) {}

Tensor::Tensor(Shape shape, std::vector<float> values)
    : shape_(std::move(shape)), size_(element_count(shape_)), storage_(std::move(values)),
      data_(storage_.data()) {
  if (storage_.size() != size_) {
    throw Error(ErrorCode::kInvalidArgument,
                "a tensor of shape " + shape_to_string(shape_) + " needs " +
                    std::to_string(size_) + " values, got " + std::to_string(storage_.size()));
  }
}

Tensor Tensor::view(Shape shape, std::span<float> memory) {
  Tensor t;
  t.shape_ = std::move(shape);
  t.size_ = element_count(t.shape_);
  if (memory.size() != t.size_) {
    throw Error(ErrorCode::kInvalidArgument,
                "a view of shape " + shape_to_string(t.shape_) + " needs " +
                    std::to_string(t.size_) + " values, got " + std::to_string(memory.size()));
  }
  t.data_ = memory.data();
  return t;
}

Tensor::Tensor(const Tensor& other)
    : shape_(other.shape_), size_(other.size_), storage_(other.storage_),
      data_(other.storage_.empty() ? other.data_ : storage_.data()) {}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this == &other) return *this;
  shape_ = other.shape_;
  size_ = other.size_;
  storage_ = other.storage_;
  data_ = other.storage_.empty() ? other.data_ : storage_.data();
  return *this;
}

Tensor::Tensor(Tensor&& other) noexcept
    : shape_(std::move(other.shape_)), size_(other.size_), storage_(std::move(other.storage_)),
      data_(other.data_) {
  other.size_ = 0;
  other.data_ = nullptr;
}

Tensor& Tensor::operator=(Tensor&& other) noexcept {
  shape_ = std::move(other.shape_);
  size_ = other.size_;
  storage_ = std::move(other.storage_);
  data_ = other.data_;  // a moved vector keeps its buffer, so the pointer stays valid
  other.size_ = 0;
  other.data_ = nullptr;
  return *this;
}

std::size_t Tensor::dim(int i) const {
  const int r = static_cast<int>(rank());
  const int axis = i < 0 ? i + r : i;
  if (axis < 0 || axis >= r) {
    throw Error(ErrorCode::kInvalidArgument, "dim " + std::to_string(i) +
                                                 " is out of range for a tensor of shape " +
                                                 shape_to_string(shape_));
  }
  return shape_[axis];
}

float& Tensor::at(std::initializer_list<std::size_t> index) {
  if (index.size() != rank()) {
    throw Error(ErrorCode::kInvalidArgument,
                std::to_string(index.size()) + " indices for a tensor of shape " +
                    shape_to_string(shape_));
  }
  std::size_t flat = 0, d = 0;
  for (std::size_t i : index) {
    if (i >= shape_[d]) {
      throw Error(ErrorCode::kInvalidArgument, "index " + std::to_string(i) + " of dim " +
                                                   std::to_string(d) + " is out of range for " +
                                                   shape_to_string(shape_));
    }
    flat = flat * shape_[d] + i;
    ++d;
  }
  return data_[flat];
}

float Tensor::at(std::initializer_list<std::size_t> index) const {
  return const_cast<Tensor*>(this)->at(index);
}

Tensor Tensor::reshaped(Shape shape) const {
  if (element_count(shape) != size_) {
    throw Error(ErrorCode::kInvalidArgument, "cannot reshape " + shape_to_string(shape_) +
                                                 " to " + shape_to_string(shape));
  }
  return Tensor(std::move(shape), std::vector<float>(data_, data_ + size_));
}

Tensor Tensor::view_as(Shape shape) {
  if (element_count(shape) != size_) {
    throw Error(ErrorCode::kInvalidArgument, "cannot view " + shape_to_string(shape_) + " as " +
                                                 shape_to_string(shape));
  }
  return view(std::move(shape), data());
}

Tensor Tensor::rows(std::size_t begin, std::size_t end) {
  if (rank() == 0 || begin > end || end > shape_[0]) {
    throw Error(ErrorCode::kInvalidArgument, "rows [" + std::to_string(begin) + ", " +
                                                 std::to_string(end) + ") of a tensor of shape " +
                                                 shape_to_string(shape_));
  }
  Shape s = shape_;
  s[0] = end - begin;
  const std::size_t row = shape_[0] == 0 ? 0 : size_ / shape_[0];
  return view(std::move(s), std::span<float>(data_ + begin * row, (end - begin) * row));
}

void Tensor::fill(float value) { std::fill(data_, data_ + size_, value); }

void Tensor::expect_shape(std::span<const std::size_t> expected, const std::string& what) const {
  if (!std::equal(shape_.begin(), shape_.end(), expected.begin(), expected.end())) {
    throw Error(ErrorCode::kInvalidArgument, what + " has shape " + shape_to_string(shape_) +
                                                 ", expected " + shape_to_string(expected));
  }
}

}  // namespace actlab
