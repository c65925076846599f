// Reading pictures (PNG, JPEG, BMP, GIF, PNM, …) with stb_image (libstb-dev).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace actlab::plot {

// 8-bit pixels, row-major, `channels` interleaved values per pixel (1 gray, 2 gray+alpha,
// 3 RGB, 4 RGBA), row 0 at the top.
struct Picture {
  std::size_t width = 0, height = 0, channels = 0;
  std::vector<std::uint8_t> pixels;
  std::uint8_t at(std::size_t row, std::size_t col, std::size_t channel) const {
    return pixels[(row * width + col) * channels + channel];
  }
};

// Error kIo naming the path when the file cannot be opened or read, Error kCorruptData
// naming it (and stb_image's reason) when it is not a picture stb_image can decode.
Picture read_picture(const std::string& path);
// The same from bytes in memory; `name` is used in the error message.
Picture decode_picture(std::span<const std::uint8_t> bytes, const std::string& name);

}  // namespace actlab::plot
