// IDX reading and writing. The file is read as a byte stream (plain or gzip, chosen by its
// first two bytes), so the same checks apply to both: the header is parsed field by field,
// the data must be exactly product(dims) bytes, and one more byte is attempted to catch
// trailing data. Memory grows with the bytes actually read, so a corrupt header that claims
// terabytes fails as "truncated" instead of allocating them.
#include "actlab/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>

#include "actlab/error.hpp"

namespace actlab::data {
namespace {

constexpr std::uint8_t kUnsignedByte = 0x08;
constexpr std::size_t kChunk = std::size_t{1} << 20;

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw Error(ErrorCode::kCorruptData, "IDX file '" + path + "': " + what);
}

const char* dtype_name(std::uint8_t code) {
  switch (code) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
    default:
      return "not an IDX type";
  }
}

std::string hex_byte(unsigned value) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02X", value & 0xFFu);
  return buffer;
}

// A byte stream from a plain or gzipped file. read() returns how many bytes it got (fewer
// than asked only at the end of the data) and throws on a read or decompression error.
class ByteStream {
 public:
  explicit ByteStream(const std::string& path) : path_(path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      throw Error(ErrorCode::kIo, "IDX file '" + path + "' does not exist");
    }
    if (std::filesystem::is_directory(path, ec)) {
      throw Error(ErrorCode::kIo, "IDX file '" + path + "' is a directory, not a file");
    }
    std::FILE* probe = std::fopen(path.c_str(), "rb");
    if (probe == nullptr) {
      throw Error(ErrorCode::kIo, "cannot open IDX file '" + path + "': " + std::strerror(errno));
    }
    std::array<unsigned char, 2> magic{};
    const std::size_t got = std::fread(magic.data(), 1, 2, probe);
    gzipped_ = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (gzipped_) {
      std::fclose(probe);
      gz_ = gzopen(path.c_str(), "rb");
      if (gz_ == nullptr) {
        throw Error(ErrorCode::kIo, "cannot open gzipped IDX file '" + path + "'");
      }
    } else {
      std::rewind(probe);
      file_ = probe;
    }
  }
  ~ByteStream() {
    if (gz_ != nullptr) gzclose(gz_);
    if (file_ != nullptr) std::fclose(file_);
  }
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

  bool gzipped() const { return gzipped_; }

  std::size_t read(std::uint8_t* dst, std::size_t n) {
    std::size_t total = 0;
    while (total < n) {
      const std::size_t want = std::min(n - total, kChunk);
      std::size_t got = 0;
      if (gz_ != nullptr) {
        const int r = gzread(gz_, dst + total, static_cast<unsigned>(want));
        int errnum = Z_OK;
        const char* message = gzerror(gz_, &errnum);
        if (r < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
          corrupt(path_, std::string("the gzip stream is damaged (") + message + ")");
        }
        got = static_cast<std::size_t>(r);
      } else {
        got = std::fread(dst + total, 1, want, file_);
        if (got < want && std::ferror(file_)) {
          throw Error(ErrorCode::kIo,
                      "cannot read IDX file '" + path_ + "': " + std::strerror(errno));
        }
      }
      total += got;
      if (got < want) break;
    }
    return total;
  }

 private:
  std::string path_;
  bool gzipped_ = false;
  gzFile gz_ = nullptr;
  std::FILE* file_ = nullptr;
};

}  // namespace

IdxArray read_idx(const std::string& path, std::size_t expected_ndim) {
  ByteStream in(path);
  const std::string kind = in.gzipped() ? " (after gunzip)" : "";

  // Magic: 0x00 0x00, element type, number of dimensions.
  std::array<std::uint8_t, 4> magic{};
  const std::size_t magic_got = in.read(magic.data(), magic.size());
  if (magic_got == 0) corrupt(path, "the file is empty" + kind);
  if (magic_got < magic.size()) {
    corrupt(path,
            "truncated header: " + std::to_string(magic_got) + " of the 4 magic bytes" + kind);
  }
  if (magic[0] != 0 || magic[1] != 0) {
    corrupt(path, "wrong magic: the first two bytes are " + hex_byte(magic[0]) + " " +
                      hex_byte(magic[1]) + ", an IDX file starts with 0x00 0x00" + kind);
  }
  if (magic[2] != kUnsignedByte) {
    corrupt(path, "element type " + hex_byte(magic[2]) + " (" + dtype_name(magic[2]) +
                      "), expected 0x08 (unsigned byte)");
  }
  const std::size_t ndim = magic[3];
  if (ndim == 0) corrupt(path, "the header declares 0 dimensions");
  if (expected_ndim != 0 && ndim != expected_ndim) {
    corrupt(path, "the header declares " + std::to_string(ndim) + " dimension(s), expected " +
                      std::to_string(expected_ndim));
  }

  // Dimensions: big-endian uint32 each, all positive; their product must not overflow.
  IdxArray out;
  std::vector<std::uint8_t> dim_bytes(4 * ndim);
  const std::size_t dims_got = in.read(dim_bytes.data(), dim_bytes.size());
  if (dims_got < dim_bytes.size()) {
    corrupt(path, "truncated header: " + std::to_string(dims_got) + " of the " +
                      std::to_string(dim_bytes.size()) + " bytes of its " + std::to_string(ndim) +
                      " dimension sizes");
  }
  std::size_t expected_bytes = 1;
  std::string dims_text;
  for (std::size_t d = 0; d < ndim; ++d) {
    const std::uint8_t* b = &dim_bytes[4 * d];
    const std::size_t size = (std::size_t{b[0]} << 24) | (std::size_t{b[1]} << 16) |
                             (std::size_t{b[2]} << 8) | std::size_t{b[3]};
    if (size == 0) corrupt(path, "dimension " + std::to_string(d) + " has size 0");
    if (expected_bytes > std::numeric_limits<std::size_t>::max() / size) {
      corrupt(path, "the dimension sizes overflow");
    }
    expected_bytes *= size;
    out.dims.push_back(size);
    dims_text += (d > 0 ? "x" : "") + std::to_string(size);
  }

  // Data: exactly expected_bytes, read in chunks so that memory follows the actual data.
  while (out.values.size() < expected_bytes) {
    const std::size_t have = out.values.size();
    const std::size_t want = std::min(expected_bytes - have, kChunk * 16);
    out.values.resize(have + want);
    const std::size_t got = in.read(out.values.data() + have, want);
    if (got < want) {
      corrupt(path, "truncated data: the header declares " + dims_text + " = " +
                        std::to_string(expected_bytes) + " bytes, the file holds " +
                        std::to_string(have + got) + kind);
    }
  }
  std::vector<std::uint8_t> rest(kChunk);
  std::size_t trailing = 0;
  for (std::size_t got = in.read(rest.data(), rest.size()); got > 0;
       got = in.read(rest.data(), rest.size())) {
    trailing += got;
  }
  if (trailing > 0) {
    corrupt(path, std::to_string(trailing) + " trailing byte(s) after the " +
                      std::to_string(expected_bytes) + " bytes of data the header declares (" +
                      dims_text + ")" + kind);
  }
  return out;
}

void write_idx(const std::string& path, const IdxArray& array, bool gzip) {
  std::size_t count = 1;
  for (std::size_t d : array.dims) count *= d;
  if (array.dims.empty() || array.dims.size() > 255 || count != array.values.size()) {
    throw Error(ErrorCode::kInvalidArgument, "write_idx: " + std::to_string(array.dims.size()) +
                                                 " dimension(s) of product " +
                                                 std::to_string(count) + " do not fit " +
                                                 std::to_string(array.values.size()) + " values");
  }
  std::vector<std::uint8_t> bytes = {0, 0, kUnsignedByte,
                                     static_cast<std::uint8_t>(array.dims.size())};
  for (std::size_t d : array.dims) {
    if (d > 0xFFFFFFFFu) {
      throw Error(ErrorCode::kInvalidArgument, "write_idx: a dimension exceeds 2^32 − 1");
    }
    for (int shift = 24; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<std::uint8_t>(d >> shift));
    }
  }
  bytes.insert(bytes.end(), array.values.begin(), array.values.end());
  bool ok = false;
  if (gzip) {
    gzFile gz = gzopen(path.c_str(), "wb");
    if (gz != nullptr) {
      ok = true;
      for (std::size_t at = 0; at < bytes.size() && ok; at += kChunk) {
        const auto n = static_cast<unsigned>(std::min(kChunk, bytes.size() - at));
        ok = gzwrite(gz, bytes.data() + at, n) == static_cast<int>(n);
      }
      ok = gzclose(gz) == Z_OK && ok;
    }
  } else {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f != nullptr) {
      ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
      ok = std::fclose(f) == 0 && ok;
    }
  }
  if (!ok) throw Error(ErrorCode::kIo, "cannot write IDX file '" + path + "'");
}

}  // namespace actlab::data
