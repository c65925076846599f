// The layers' matrix products: OpenBLAS (CBLAS), or on CPUs with AVX-512 our own packed
// kernel below (compiled once per SIMD target by Highway; this file is included once per
// target by foreach_target.h, and everything outside the HWY_NAMESPACE block is in HWY_ONCE).
//
// Why a kernel of our own: the machines this project runs on pin OpenBLAS to its Haswell
// (AVX2) kernels (OPENBLAS_CORETYPE=Haswell in their environment; the study's samplers
// replay numpy's OpenBLAS rounding). On this Zen 5 machine (full-width AVX-512) those run
// the seed CNN's products at 108–122 GFLOP/s per core, the 8 × 32 AVX-512 kernel below at
// 151–240 (one thread, interleaved; OpenBLAS's own AVX-512 kernels, unpinned, 140–218 in
// a noisier run). The shapes and figures: docs/benchmarks.md, "Own GEMM". Where the best
// target has no AVX-512, OpenBLAS's kernels stay.

// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "nn/gemm.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
// clang-format on

#include <algorithm>
#include <cstddef>
#include <vector>

#include "nn/gemm.hpp"

HWY_BEFORE_NAMESPACE();
namespace actlab::nn::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Register tile: kMR rows × 2 vectors of columns. AVX-512 has 32 registers: 16 accumulators,
// 2 of B, 1 broadcast of A. The 16-register targets take 6 rows (12 accumulators).
#if HWY_TARGET <= HWY_AVX3
constexpr std::size_t kMR = 8;
#else
constexpr std::size_t kMR = 6;
#endif
// Cache blocks (not tuned beyond a few trials): an A block of kMC × kKC floats (≤ 128 KiB) stays in L2 and a packed B
// micro-panel of kKC × NR floats (32 KiB with AVX-512) in L1 while the kernel sweeps the
// A block's row panels over it.
constexpr std::size_t kKC = 256;
constexpr std::size_t kMC = 128;
// Columns packed at a time (a multiple of every target's NR): B's packed block is at most
// kKC × kNC floats (1 MiB), whatever the batch.
constexpr std::size_t kNC = 1024;

// One operand as stored: element (i, j) of op(X) is x[i·ld + j], or x[j·ld + i] transposed.
struct Operand {
  const float* x;
  std::size_t ld;
  bool transposed;
  float at(std::size_t i, std::size_t j) const { return transposed ? x[j * ld + i] : x[i * ld + j]; }
};

// Ap: rows [i0, i0 + rows) × depth [p0, p0 + kc) of op(A) in panels of kMR rows, each panel
// depth-major (kMR values per depth step), rows past the end zero.
void PackA(const Operand& a, std::size_t i0, std::size_t rows, std::size_t p0, std::size_t kc,
           float* ap) {
  for (std::size_t r0 = 0; r0 < rows; r0 += kMR) {
    const std::size_t mr = std::min(kMR, rows - r0);
    float* panel = ap + r0 * kc;
    if (!a.transposed) {
      for (std::size_t r = 0; r < mr; ++r) {
        const float* src = a.x + (i0 + r0 + r) * a.ld + p0;
        for (std::size_t p = 0; p < kc; ++p) panel[p * kMR + r] = src[p];
      }
    } else {
      for (std::size_t p = 0; p < kc; ++p) {
        const float* src = a.x + (p0 + p) * a.ld + i0 + r0;
        for (std::size_t r = 0; r < mr; ++r) panel[p * kMR + r] = src[r];
      }
    }
    for (std::size_t r = mr; r < kMR; ++r) {
      for (std::size_t p = 0; p < kc; ++p) panel[p * kMR + r] = 0.0f;
    }
  }
}

// Bp: depth [p0, p0 + kc) × columns [j0, j0 + cols) of op(B) in panels of nr columns, each
// panel depth-major, columns past the end zero.
void PackB(const Operand& b, std::size_t p0, std::size_t kc, std::size_t j0, std::size_t cols,
           std::size_t nr, float* bp) {
  for (std::size_t c0 = 0; c0 < cols; c0 += nr) {
    const std::size_t w = std::min(nr, cols - c0);
    float* panel = bp + c0 * kc;
    if (!b.transposed) {
      for (std::size_t p = 0; p < kc; ++p) {
        const float* src = b.x + (p0 + p) * b.ld + j0 + c0;
        float* dst = panel + p * nr;
        for (std::size_t c = 0; c < w; ++c) dst[c] = src[c];
        for (std::size_t c = w; c < nr; ++c) dst[c] = 0.0f;
      }
    } else {
      for (std::size_t c = 0; c < w; ++c) {
        const float* src = b.x + (j0 + c0 + c) * b.ld + p0;
        for (std::size_t p = 0; p < kc; ++p) panel[p * nr + c] = src[p];
      }
      for (std::size_t c = w; c < nr; ++c) {
        for (std::size_t p = 0; p < kc; ++p) panel[p * nr + c] = 0.0f;
      }
    }
  }
}

// C[rows × cols] = alpha·(Ap · Bp) + beta·C over depth kc (beta = 0: C is not read). Each
// element is one running FMA sum over the depth, in order.
template <class D>
HWY_INLINE void Tile(D d, std::size_t kc, const float* HWY_RESTRICT ap,
                     const float* HWY_RESTRICT bp, float* HWY_RESTRICT c, std::size_t ldc,
                     std::size_t rows, std::size_t cols, float alpha, float beta) {
  using V = hn::Vec<D>;
  const std::size_t n = hn::Lanes(d);
  V acc0[kMR], acc1[kMR];
  for (std::size_t r = 0; r < kMR; ++r) {
    acc0[r] = hn::Zero(d);
    acc1[r] = hn::Zero(d);
  }
  for (std::size_t p = 0; p < kc; ++p) {
    const V b0 = hn::LoadU(d, bp + p * 2 * n);
    const V b1 = hn::LoadU(d, bp + p * 2 * n + n);
    const float* a = ap + p * kMR;
    for (std::size_t r = 0; r < kMR; ++r) {
      const V av = hn::Set(d, a[r]);
      acc0[r] = hn::MulAdd(av, b0, acc0[r]);
      acc1[r] = hn::MulAdd(av, b1, acc1[r]);
    }
  }
  const V va = hn::Set(d, alpha);
  const V vb = hn::Set(d, beta);
  if (rows == kMR && cols == 2 * n) {
    for (std::size_t r = 0; r < kMR; ++r) {
      float* row = c + r * ldc;
      V y0 = hn::Mul(va, acc0[r]);
      V y1 = hn::Mul(va, acc1[r]);
      if (beta != 0.0f) {
        y0 = hn::MulAdd(vb, hn::LoadU(d, row), y0);
        y1 = hn::MulAdd(vb, hn::LoadU(d, row + n), y1);
      }
      hn::StoreU(y0, d, row);
      hn::StoreU(y1, d, row + n);
    }
    return;
  }
  HWY_ALIGN float tile[kMR * 2 * HWY_LANES(float)];
  for (std::size_t r = 0; r < kMR; ++r) {
    hn::Store(hn::Mul(va, acc0[r]), d, tile + r * 2 * n);
    hn::Store(hn::Mul(va, acc1[r]), d, tile + r * 2 * n + n);
  }
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = c + r * ldc;
    for (std::size_t j = 0; j < cols; ++j) {
      const float t = tile[r * 2 * n + j];
      row[j] = beta == 0.0f ? t : beta * row[j] + t;
    }
  }
}

// C (m × n, row stride ldc) = alpha·op(A)·op(B) + beta·C, op(A) m × k, op(B) k × n, k ≥ 1.
void PackedGemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k,
                float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb,
                float beta, float* c, std::size_t ldc) {
  const hn::ScalableTag<float> d;
  const std::size_t nr = 2 * hn::Lanes(d);
  const Operand opa{a, lda, trans_a}, opb{b, ldb, trans_b};
  thread_local std::vector<float> a_pack, b_pack;
  const std::size_t nc_max = std::min(kNC, (n + nr - 1) / nr * nr);
  b_pack.resize(std::min(k, kKC) * nc_max);
  a_pack.resize(std::min(k, kKC) * ((std::min(m, kMC) + kMR - 1) / kMR * kMR));
  for (std::size_t j0 = 0; j0 < n; j0 += kNC) {
    const std::size_t nc = std::min(kNC, n - j0);
    for (std::size_t p0 = 0; p0 < k; p0 += kKC) {
      const std::size_t kc = std::min(kKC, k - p0);
      // Later depth blocks add to what the earlier ones wrote.
      const float block_beta = p0 == 0 ? beta : 1.0f;
      PackB(opb, p0, kc, j0, nc, nr, b_pack.data());
      for (std::size_t i0 = 0; i0 < m; i0 += kMC) {
        const std::size_t mc = std::min(kMC, m - i0);
        PackA(opa, i0, mc, p0, kc, a_pack.data());
        for (std::size_t j = 0; j < nc; j += nr) {
          const float* bp = b_pack.data() + j * kc;
          for (std::size_t i = 0; i < mc; i += kMR) {
            Tile(d, kc, a_pack.data() + i * kc, bp, c + (i0 + i) * ldc + j0 + j, ldc,
                 std::min(kMR, mc - i), std::min(nr, nc - j), alpha, block_beta);
          }
        }
      }
    }
  }
}

// Whether this target gets the packed kernel (AVX-512 and better) rather than OpenBLAS.
bool UsePackedGemm() { return HWY_TARGET <= HWY_AVX3; }

}  // namespace actlab::nn::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cblas.h>

#include <mutex>

#include "kernels/thread_pool.hpp"

namespace actlab::nn::detail {

HWY_EXPORT(PackedGemm);
HWY_EXPORT(UsePackedGemm);

namespace {

// Below this many multiply-adds a product stays on one thread: waking the other costs more
// than it saves. In the seed CNN at batch 32 every conv product (≥ 7M) and the 1024 → 64
// layer (2M) split and the 64 → 10 layer (20K) does not; not tuned beyond that.
constexpr double kParallelMultiplyAdds = 1 << 18;
// Column (or row) blocks are multiples of this, so each thread's block starts on a vector
// boundary of C (and on a whole register tile of the packed kernel: 32 columns, 8 rows).
constexpr std::size_t kBlockAlign = 32;

constexpr std::size_t kNarrow = 16;

bool use_packed() {
  static const bool packed = HWY_DYNAMIC_DISPATCH(UsePackedGemm)();
  return packed;
}

void single_threaded(Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n,
                     std::size_t k, float alpha, const float* a, std::size_t lda, const float* b,
                     std::size_t ldb, float beta, float* c, std::size_t ldc) {
  // Products narrower than half a register tile (conv1's weight gradient: 32 × 9 × 25,088)
  // waste most of each tile; OpenBLAS ran that one at 50 GFLOP/s against our 30.
  if (use_packed() && n >= kNarrow) {
    HWY_DYNAMIC_DISPATCH(PackedGemm)(trans_a == Transpose::kYes, trans_b == Transpose::kYes, m, n,
                                     k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a == Transpose::kYes ? CblasTrans : CblasNoTrans,
              trans_b == Transpose::kYes ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b,
              static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

// The seed CNN's products are small (e.g. 64 × 4608 × 288 per batch); OpenBLAS's own
// threading gained almost nothing on them with 2 threads (training 3,371 images/s on one
// thread, 3,773 on two). Splitting C into one block per thread of the kernels' pool, each a
// single-threaded product, keeps both cores busy. Each element of C is still one dot product
// over all of k, so the results do not depend on the split.
void use_single_threaded_openblas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

}  // namespace

void gemm_serial(Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n,
                 std::size_t k, float alpha, const float* a, std::size_t lda, const float* b,
                 std::size_t ldb, float beta, float* c, std::size_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) return gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  use_single_threaded_openblas();
  single_threaded(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n, std::size_t k,
          float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta,
          float* c, std::size_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0 ? 0.0f : beta * c[i * ldc + j];
    }
    return;
  }
  const std::size_t threads = kernels::detail::pool_threads();
  const double work = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (threads <= 1 || work < kParallelMultiplyAdds || std::max(m, n) < 2 * kBlockAlign) {
    single_threaded(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  use_single_threaded_openblas();
  const bool split_columns = n >= m;
  const std::size_t extent = split_columns ? n : m;
  kernels::detail::run_parallel([&](std::size_t t, std::size_t count) {
    const std::size_t per = (extent / count + kBlockAlign - 1) / kBlockAlign * kBlockAlign;
    const std::size_t begin = std::min(extent, t * per);
    const std::size_t end = t + 1 == count ? extent : std::min(extent, begin + per);
    if (begin == end) return;
    if (split_columns) {
      // Columns begin…end of op(B) and of C.
      const float* b_block = trans_b == Transpose::kNo ? b + begin : b + begin * ldb;
      single_threaded(trans_a, trans_b, m, end - begin, k, alpha, a, lda, b_block, ldb, beta,
                      c + begin, ldc);
    } else {
      // Rows begin…end of op(A) and of C.
      const float* a_block = trans_a == Transpose::kNo ? a + begin * lda : a + begin;
      single_threaded(trans_a, trans_b, end - begin, n, k, alpha, a_block, lda, b, ldb, beta,
                      c + begin * ldc, ldc);
    }
  });
}

}  // namespace actlab::nn::detail
#endif  // HWY_ONCE
