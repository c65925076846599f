// kernels.hpp's Precision: one process-wide setting, read by the vector loops at each call
// (a relaxed atomic load, nothing per element).
#include <atomic>
#include <cstdlib>
#include <string>
#include <string_view>

#include "actlab/error.hpp"
#include "actlab/kernels.hpp"

namespace actlab::kernels {
namespace {

// ACTLAB_PRECISION=fast|accurate, read at the first use; anything else is an error rather
// than a silent default (a user asking for "accurate" must get it or be told).
Precision from_environment() {
  const char* env = std::getenv("ACTLAB_PRECISION");
  if (env == nullptr || *env == '\0') return Precision::kFast;
  const std::string_view value(env);
  if (value == "fast") return Precision::kFast;
  if (value == "accurate") return Precision::kAccurate;
  throw Error(ErrorCode::kInvalidParameter,
              "ACTLAB_PRECISION='" + std::string(value) + "': expected 'fast' or 'accurate'");
}

std::atomic<Precision>& setting() {
  static std::atomic<Precision> value{from_environment()};
  return value;
}

}  // namespace

void set_precision(Precision precision) { setting().store(precision, std::memory_order_relaxed); }

Precision precision() { return setting().load(std::memory_order_relaxed); }

}  // namespace actlab::kernels
