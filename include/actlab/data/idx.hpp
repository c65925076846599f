// The IDX file format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
//   bytes 0-1  0x00 0x00 (magic)
//   byte  2    element type: 0x08 unsigned byte (the only one actlab reads), 0x09 signed byte,
//              0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
//   byte  3    number of dimensions
//   then one big-endian uint32 per dimension, then the elements, row-major.
// Files may be gzipped (recognised by their first two bytes, 0x1f 0x8b) or plain.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace actlab::data {

struct IdxArray {
  std::vector<std::size_t> dims;     // every one ≥ 1
  std::vector<std::uint8_t> values;  // product(dims) elements, row-major
};

// Reads an unsigned-byte IDX file with `expected_ndim` dimensions (0 accepts any number).
// Throws Error kIo when the file cannot be opened or read, and Error kCorruptData, naming the
// file and the fault, for: a damaged gzip stream, a header shorter than it says, a magic
// other than 0x0000, an element type other than 0x08, a wrong number of dimensions, a zero
// dimension, and data shorter or longer than the product of the dimensions.
IdxArray read_idx(const std::string& path, std::size_t expected_ndim = 0);

// Writes an unsigned-byte IDX file, gzipped when `gzip` (for tests and small exports).
// Throws Error kInvalidArgument when values.size() != product(dims), kIo when the file
// cannot be written.
void write_idx(const std::string& path, const IdxArray& array, bool gzip = false);

}  // namespace actlab::data
