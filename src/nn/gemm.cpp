#include "nn/gemm.hpp"

#include <cblas.h>

#include <algorithm>
#include <mutex>

#include "kernels/thread_pool.hpp"

namespace actlab::nn::detail {
namespace {

// Below this many multiply-adds a product stays on one thread: waking the other costs more
// than it saves. In the seed CNN at batch 32 every conv product (≥ 7M) and the 1024 → 64
// layer (2M) split and the 64 → 10 layer (20K) does not; not tuned beyond that.
constexpr double kParallelMultiplyAdds = 1 << 18;
// Column (or row) blocks are multiples of this, so each thread's block starts on a vector
// boundary of C.
constexpr std::size_t kBlockAlign = 16;

void sgemm(Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n, std::size_t k,
           float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb,
           float beta, float* c, std::size_t ldc) {
  cblas_sgemm(CblasRowMajor, trans_a == Transpose::kYes ? CblasTrans : CblasNoTrans,
              trans_b == Transpose::kYes ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b,
              static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

// The seed CNN's products are small (e.g. 64 × 4608 × 288 per batch); OpenBLAS's own
// threading gained almost nothing on them with 2 threads (training 3,371 images/s on one
// thread, 3,773 on two). Splitting C into one block per thread of the kernels' pool, each a
// single-threaded sgemm, keeps both cores busy. Each element of C is still one dot product
// over all of k, so the results do not depend on the split.
void use_single_threaded_openblas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

}  // namespace

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
    sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
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
      sgemm(trans_a, trans_b, m, end - begin, k, alpha, a, lda, b_block, ldb, beta, c + begin,
            ldc);
    } else {
      // Rows begin…end of op(A) and of C.
      const float* a_block = trans_a == Transpose::kNo ? a + begin * lda : a + begin;
      sgemm(trans_a, trans_b, end - begin, n, k, alpha, a_block, lda, b, ldb, beta,
            c + begin * ldc, ldc);
    }
  });
}

}  // namespace actlab::nn::detail
