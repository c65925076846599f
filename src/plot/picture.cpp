// Pictures via stb_image. Debian's libstb-dev ships the implementation compiled in libstb
// (linked through pkg-config's "stb"), so only the declarations are included here.
#include "actlab/plot/picture.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>

#include "actlab/error.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

namespace actlab::plot {

Picture read_picture(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::kIo, "cannot open image '" + path + "': " + std::strerror(errno));
  }
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (in.bad()) {
    throw Error(ErrorCode::kIo, "cannot read image '" + path + "': " + std::strerror(errno));
  }
  return decode_picture(bytes, path);
}

Picture decode_picture(std::span<const std::uint8_t> bytes, const std::string& name) {
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw Error(ErrorCode::kCorruptData, "image '" + name + "' is too large to decode");
  }
  int width = 0, height = 0, channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> data(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &width, &height,
                            &channels, 0),
      stbi_image_free);
  if (!data) {
    const char* reason = stbi_failure_reason();
    throw Error(ErrorCode::kCorruptData,
                "cannot decode image '" + name + "' (" + (reason ? reason : "unknown format") +
                    "); PNG, JPEG, BMP, GIF and PNM are supported");
  }
  Picture p;
  p.width = static_cast<std::size_t>(width);
  p.height = static_cast<std::size_t>(height);
  p.channels = static_cast<std::size_t>(channels);
  p.pixels.assign(data.get(), data.get() + p.width * p.height * p.channels);
  return p;
}

}  // namespace actlab::plot
