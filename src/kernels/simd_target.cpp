// simd_target.hpp: Highway's dispatch, named and forceable.
// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/simd_target.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
// clang-format on

HWY_BEFORE_NAMESPACE();
namespace actlab::kernels::HWY_NAMESPACE {
// Compiled once per target; the dispatched copy names the target every kernel uses.
const char* TargetName() { return hwy::TargetName(HWY_TARGET); }
}  // namespace actlab::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <cctype>
#include <cstdint>

#include <hwy/targets.h>

#include "actlab/error.hpp"
#include "actlab/simd_target.hpp"

namespace actlab {
namespace kernels {
HWY_EXPORT(TargetName);
}  // namespace kernels

namespace {
std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}
}  // namespace

std::string simd_target() { return HWY_DYNAMIC_DISPATCH(kernels::TargetName)(); }

namespace {
// What the CPU supports and the build compiled, captured before anything is forced (Highway
// reports only the forced target afterwards).
const std::vector<std::int64_t>& available_targets() {
  static const std::vector<std::int64_t> targets = hwy::SupportedAndGeneratedTargets();
  return targets;
}
}  // namespace

std::vector<std::string> simd_targets() {
  std::vector<std::string> names;
  for (const std::int64_t t : available_targets()) names.emplace_back(hwy::TargetName(t));
  return names;
}

void force_simd_target(const std::string& name) {
  const std::string wanted = upper(name);
  available_targets();  // before the first change
  if (wanted.empty() || wanted == "BEST") {
    hwy::SetSupportedTargetsForTest(0);
    return;
  }
  for (const std::int64_t t : available_targets()) {
    if (wanted == hwy::TargetName(t)) {
      hwy::SetSupportedTargetsForTest(t);
      return;
    }
  }
  std::string supported;
  for (const std::string& s : simd_targets()) supported += (supported.empty() ? "" : ", ") + s;
  // Is it compiled at all (a CPU without it), or not a target name?
  for (std::int64_t bit = 1; bit != 0; bit <<= 1) {
    if ((HWY_TARGETS & bit) != 0 && wanted == hwy::TargetName(bit)) {
      throw Error(ErrorCode::kInvalidArgument,
                  "this CPU cannot run SIMD target " + wanted + " (it can: " + supported + ")");
    }
  }
  throw Error(ErrorCode::kUnknownName,
              "unknown SIMD target '" + name + "' (this build on this CPU: " + supported + ")");
}

}  // namespace actlab
#endif  // HWY_ONCE
