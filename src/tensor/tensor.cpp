#include "actlab/tensor.hpp"

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "actlab/error.hpp"

namespace actlab {
namespace {

// Large buffers of owning tensors freed on this thread, kept for the next tensor of the same
// element count. Training allocates the same activations and gradients every batch; a fresh
// large block costs page faults and zeroing (glibc returns big blocks to the kernel on
// free), which took ≈ 10 % of a seed CNN epoch. Per thread, so no locking; the most recent
// buffers are kept, up to kMaxBytes; small buffers are left to malloc.
class BufferCache {
 public:
  static constexpr std::size_t kMinElements = std::size_t{1} << 14;  // 64 KiB
  static constexpr std::size_t kMaxBytes = std::size_t{32} << 20;

  ~BufferCache();

  // A buffer of exactly n elements (unspecified values) into `out`, if one is kept.
  bool take(std::size_t n, std::vector<float>& out) {
    for (std::size_t i = buffers_.size(); i-- > 0;) {
      if (buffers_[i].size() != n) continue;
      bytes_ -= buffers_[i].capacity() * sizeof(float);
      out = std::move(buffers_[i]);
      buffers_.erase(buffers_.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
    return false;
  }

  // Keeps v's buffer (v is left empty), dropping the oldest kept buffers beyond kMaxBytes.
  void give(std::vector<float>& v) {
    const std::size_t bytes = v.capacity() * sizeof(float);
    if (v.size() < kMinElements || bytes > kMaxBytes) return;
    buffers_.push_back(std::move(v));
    v = std::vector<float>();
    bytes_ += bytes;
    std::size_t drop = 0;
    while (bytes_ > kMaxBytes) bytes_ -= buffers_[drop++].capacity() * sizeof(float);
    buffers_.erase(buffers_.begin(), buffers_.begin() + static_cast<std::ptrdiff_t>(drop));
  }

 private:
  std::vector<std::vector<float>> buffers_;
  std::size_t bytes_ = 0;
};

// Set when this thread's cache is destroyed (thread exit): tensors destroyed later (other
// thread_local or static objects) free their memory as usual. Trivially destructible, so
// still readable then.
thread_local bool cache_gone = false;

BufferCache::~BufferCache() { cache_gone = true; }

BufferCache* cache() {
  if (cache_gone) return nullptr;
  thread_local BufferCache c;
  return &c;
}

// `storage` becomes a buffer of n elements: a kept one if there is one (values
// unspecified; returns false), else a new one filled with `fill` (returns true).
bool acquire(std::vector<float>& storage, std::size_t n, float fill) {
  if (n >= BufferCache::kMinElements) {
    BufferCache* c = cache();
    if (c != nullptr && c->take(n, storage)) return false;
  }
  storage.assign(n, fill);
  return true;
}

// Hands a large buffer to the cache (storage is left empty) or leaves it to its owner to
// free. Never throws (destructor, move assignment): if keeping it fails, it is freed as usual.
void release(std::vector<float>& storage) noexcept {
  if (storage.size() < BufferCache::kMinElements) return;
  try {
    if (BufferCache* c = cache()) c->give(storage);
  } catch (...) {  // NOLINT(bugprone-empty-catch): the buffer is freed by its owner instead
  }
}

}  // namespace

std::string shape_to_string(std::span<const std::size_t> shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + ")";
}

Tensor::Tensor(Shape shape, float fill) : shape_(std::move(shape)), size_(element_count(shape_)) {
  if (!acquire(storage_, size_, fill)) std::fill(storage_.begin(), storage_.end(), fill);
  data_ = storage_.data();
}

Tensor Tensor::uninitialized(Shape shape) {
  Tensor t;
  t.shape_ = std::move(shape);
  t.size_ = element_count(t.shape_);
  acquire(t.storage_, t.size_, 0.0f);
  t.data_ = t.storage_.data();
  return t;
}

Tensor::~Tensor() { release(storage_); }

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

Tensor::Tensor(const Tensor& other) : shape_(other.shape_), size_(other.size_) {
  if (other.storage_.empty()) {
    data_ = other.data_;  // a view (or empty): copying a view copies the view
    return;
  }
  acquire(storage_, other.storage_.size(), 0.0f);
  std::copy(other.storage_.begin(), other.storage_.end(), storage_.begin());
  data_ = storage_.data();
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this == &other) return *this;
  shape_ = other.shape_;
  size_ = other.size_;
  if (other.storage_.empty()) {
    release(storage_);
    storage_.clear();
    data_ = other.data_;
    return *this;
  }
  if (storage_.size() != other.storage_.size()) {
    release(storage_);
    acquire(storage_, other.storage_.size(), 0.0f);
  }
  std::copy(other.storage_.begin(), other.storage_.end(), storage_.begin());
  data_ = storage_.data();
  return *this;
}

Tensor::Tensor(Tensor&& other) noexcept
    : shape_(std::move(other.shape_)), size_(other.size_), storage_(std::move(other.storage_)),
      data_(other.data_) {
  other.size_ = 0;
  other.data_ = nullptr;
}

Tensor& Tensor::operator=(Tensor&& other) noexcept {
  if (this == &other) return *this;
  release(storage_);
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
  Tensor t = uninitialized(std::move(shape));
  std::copy(data_, data_ + size_, t.data_);
  return t;
}

Tensor Tensor::view_as(Shape shape) {
  if (element_count(shape) != size_) {
    throw Error(ErrorCode::kInvalidArgument, "cannot view " + shape_to_string(shape_) + " as " +
                                                 shape_to_string(shape));
  }
  return view(std::move(shape), data());
}

void Tensor::reshape(Shape shape) {
  if (element_count(shape) != size_) {
    throw Error(ErrorCode::kInvalidArgument, "cannot reshape " + shape_to_string(shape_) +
                                                 " to " + shape_to_string(shape));
  }
  shape_ = std::move(shape);
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
