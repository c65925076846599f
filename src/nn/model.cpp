// Sequential: construction from specs, the forward/backward chain, and the model file
// format (docs/formats.md).
#include "actlab/nn/model.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "actlab/error.hpp"
#include "actlab/random.hpp"
#include "nn/spec.hpp"

namespace actlab::nn {

Sequential Sequential::from_spec(const std::string& spec, std::uint64_t seed) {
  Sequential model;
  for (auto& layer : detail::parse_spec(spec, seed)) model.add(std::move(layer));
  // One generator for the whole model, drawn layer by layer in order, so the same spec and
  // seed always give the same weights.
  Rng rng(seed);
  for (auto& layer : model.layers_) layer->reset_parameters(rng);
  return model;
}

std::string Sequential::seed_cnn_spec(const std::string& conv_activation,
                                      const std::string& fc_activation) {
  const std::string& c = conv_activation;
  return "conv2d(1, 32, 3, padding=1) -> " + c + " -> max_pool2d(2) -> conv2d(32, 64, 3) -> " + c +
         " -> max_pool2d(2) -> conv2d(64, 64, 3) -> " + c + " -> flatten -> dense(1024, 64) -> " +
         fc_activation + " -> dense(64, 10)";
}

Sequential& Sequential::add(std::unique_ptr<Layer> layer) {
  if (!layer) throw Error(ErrorCode::kInvalidArgument, "Sequential::add: null layer");
  layers_.push_back(std::move(layer));
  return *this;
}

std::string Sequential::spec() const {
  std::string out;
  for (const auto& layer : layers_) {
    if (!out.empty()) out += " -> ";
    out += layer->spec();
  }
  return out;
}

// Each layer's output goes to the next by forward_consuming (no layer needs it afterwards,
// so a layer may keep or overwrite its memory instead of copying it), and a layer followed
// by an activation that allows it runs both in one pass (forward_fused: Dense and Conv2d
// apply the activation where they add their bias). The bits are those of calling forward()
// layer by layer (tests/model_test.cpp checks it).
Tensor Sequential::forward(const Tensor& input, bool training) {
  if (layers_.empty()) return input;
  Tensor x;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Activation* act =
        i + 1 < layers_.size() ? layers_[i + 1]->fusable_activation(training) : nullptr;
    if (act != nullptr) {
      Tensor y = layers_[i]->forward_fused(i == 0 ? input : x, *act, training);
      x = layers_[i + 1]->adopt_fused_output(std::move(y), training);
      ++i;
    } else if (i == 0) {
      x = layers_[0]->forward(input, training);  // the caller's input is never consumed
    } else {
      x = layers_[i]->forward_consuming(std::move(x), training);
    }
  }
  // The last layer may have returned a view of memory it keeps: the caller gets its own copy.
  return x.is_view() ? x.reshaped(x.shape()) : x;
}

Tensor Sequential::backward(const Tensor& grad_output) {
  if (layers_.empty()) return grad_output;
  Tensor g = layers_.back()->backward(grad_output);
  for (std::size_t i = layers_.size() - 1; i-- > 0;) g = layers_[i]->backward(g);
  return g;
}

void Sequential::backward_parameters(const Tensor& grad_output) {
  if (layers_.empty()) return;
  if (layers_.size() == 1) return layers_[0]->backward_parameters(grad_output);
  Tensor g = layers_.back()->backward(grad_output);
  for (std::size_t i = layers_.size() - 1; i-- > 1;) g = layers_[i]->backward(g);
  layers_[0]->backward_parameters(g);
}

std::vector<Parameter> Sequential::parameters() {
  std::vector<Parameter> out;
  for (auto& layer : layers_) {
    for (Parameter& p : layer->parameters()) out.push_back(p);
  }
  return out;
}

std::size_t Sequential::parameter_count() {
  std::size_t n = 0;
  for (const Parameter& p : parameters()) n += p.value->size();
  return n;
}

void Sequential::zero_grad() {
  for (auto& layer : layers_) layer->zero_grad();
}

Shape Sequential::output_shape(const Shape& input) const {
  Shape s = input;
  for (const auto& layer : layers_) s = layer->output_shape(s);
  return s;
}

// ---- File format -------------------------------------------------------------------------
// All integers little-endian; see docs/formats.md for the layout.

namespace {

constexpr char kMagic[8] = {'A', 'C', 'T', 'L', 'A', 'B', 'M', '1'};
constexpr std::uint32_t kFormatVersion = 1;
// Sanity limits that keep a damaged length field from asking for gigabytes.
constexpr std::uint64_t kMaxText = 1 << 20;
constexpr std::uint64_t kMaxRank = 8;

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_text(std::string& out, const std::string& s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out += s;
}

std::uint32_t crc32_of(const char* data, std::size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {
    const uInt chunk = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

// Reads fields from the checked payload; any read past its end is a truncated file.
class Cursor {
 public:
  Cursor(const std::string& path, const std::string& bytes, std::size_t end)
      : path_(path), bytes_(bytes), end_(end) {}
  [[noreturn]] void corrupt(const std::string& what) const {
    throw Error(ErrorCode::kCorruptData, "model file '" + path_ + "': " + what);
  }
  const char* take(std::size_t n, const char* what) {
    if (n > end_ - pos_) corrupt(std::string("truncated while reading ") + what);
    const char* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  std::uint64_t uint(std::size_t width, const char* what) {
    const auto* p = reinterpret_cast<const unsigned char*>(take(width, what));
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
    return v;
  }
  std::string text(const char* what) {
    const std::uint64_t n = uint(4, what);
    if (n > kMaxText)
      corrupt(std::string(what) + " is implausibly long (" + std::to_string(n) + " bytes)");
    return std::string(take(static_cast<std::size_t>(n), what), static_cast<std::size_t>(n));
  }
  std::size_t remaining() const { return end_ - pos_; }

 private:
  const std::string& path_;
  const std::string& bytes_;
  std::size_t end_;
  std::size_t pos_ = 0;
};

}  // namespace

void Sequential::save(const std::string& path) {
  std::string out(kMagic, sizeof kMagic);
  put_u32(out, kFormatVersion);
  put_text(out, spec());
  const std::vector<Parameter> params = parameters();
  put_u32(out, static_cast<std::uint32_t>(params.size()));
  for (std::size_t li = 0; li < layers_.size(); ++li) {
    for (const Parameter& p : layers_[li]->parameters()) {
      put_text(out, std::to_string(li) + "." + p.name);
      put_u32(out, static_cast<std::uint32_t>(p.value->rank()));
      for (std::size_t d : p.value->shape()) put_u64(out, d);
      for (float v : p.value->data()) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &v, sizeof bits);
        put_u32(out, bits);
      }
    }
  }
  put_u32(out, crc32_of(out.data(), out.size()));
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw Error(ErrorCode::kIo, "cannot open '" + path + "' for writing");
  file.write(out.data(), static_cast<std::streamsize>(out.size()));
  file.close();
  if (!file) throw Error(ErrorCode::kIo, "cannot write the model to '" + path + "'");
}

Sequential Sequential::load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(ErrorCode::kIo, "cannot open model file '" + path + "'");
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) throw Error(ErrorCode::kIo, "cannot read model file '" + path + "'");

  Cursor header(path, bytes, bytes.size());
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    header.corrupt("not an actlab model (the file does not start with \"ACTLABM1\")");
  }
  if (bytes.size() < sizeof kMagic + 8) header.corrupt("truncated (too short for a header)");
  Cursor version_cursor(path, bytes, bytes.size());
  version_cursor.take(sizeof kMagic, "the magic");
  const std::uint64_t version = version_cursor.uint(4, "the version");
  if (version != kFormatVersion) {
    header.corrupt("format version " + std::to_string(version) +
                   " is not supported (this actlab reads version " +
                   std::to_string(kFormatVersion) + ")");
  }
  const std::size_t payload = bytes.size() - 4;
  Cursor trailer(path, bytes, bytes.size());
  trailer.take(payload, "the payload");
  const auto stored_crc = static_cast<std::uint32_t>(trailer.uint(4, "the checksum"));
  const std::uint32_t actual_crc = crc32_of(bytes.data(), payload);
  if (stored_crc != actual_crc) {
    header.corrupt("checksum mismatch (the file is truncated or damaged)");
  }

  Cursor in(path, bytes, payload);
  in.take(sizeof kMagic + 4, "the header");
  const std::string spec = in.text("the spec");
  Sequential model;
  try {
    model = from_spec(spec, 0);
  } catch (const Error& e) {
    in.corrupt(std::string("its spec does not parse: ") + e.what());
  }
  std::vector<Parameter> params;
  std::vector<std::string> names;
  for (std::size_t li = 0; li < model.layers_.size(); ++li) {
    for (const Parameter& p : model.layers_[li]->parameters()) {
      params.push_back(p);
      names.push_back(std::to_string(li) + "." + p.name);
    }
  }
  const std::uint64_t count = in.uint(4, "the parameter count");
  if (count != params.size()) {
    in.corrupt("it stores " + std::to_string(count) + " parameter tensors but its spec has " +
               std::to_string(params.size()));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::string name = in.text("a parameter name");
    if (name != names[i]) {
      in.corrupt("parameter " + std::to_string(i) + " is '" + name + "', expected '" + names[i] +
                 "'");
    }
    const std::uint64_t rank = in.uint(4, "a parameter rank");
    if (rank > kMaxRank) in.corrupt("parameter '" + name + "' has rank " + std::to_string(rank));
    Shape shape(static_cast<std::size_t>(rank));
    for (std::size_t& d : shape) d = static_cast<std::size_t>(in.uint(8, "a parameter shape"));
    if (shape != params[i].value->shape()) {
      in.corrupt("parameter '" + name + "' has shape " + shape_to_string(shape) +
                 ", the spec needs " + shape_to_string(params[i].value->shape()));
    }
    const std::size_t n = params[i].value->size();
    if (n > in.remaining() / 4) in.corrupt("truncated in the values of '" + name + "'");
    const char* raw = in.take(4 * n, "parameter values");
    float* dst = params[i].value->raw();
    for (std::size_t k = 0; k < n; ++k) {
      std::uint32_t bits = 0;
      for (int b = 0; b < 4; ++b) {
        bits |= static_cast<std::uint32_t>(static_cast<unsigned char>(raw[4 * k + b])) << (8 * b);
      }
      std::memcpy(dst + k, &bits, sizeof bits);
    }
  }
  if (in.remaining() != 0) {
    in.corrupt(std::to_string(in.remaining()) + " unexpected bytes after the last parameter");
  }
  return model;
}

}  // namespace actlab::nn
