// Row-major single-precision matrix product on top of CBLAS (OpenBLAS), the one place the
// layers call BLAS from.
#pragma once

#include <cstddef>

namespace actlab::nn::detail {

enum class Transpose { kNo, kYes };

// C = alpha·op(A)·op(B) + beta·C, all row-major: op(A) is m×k, op(B) is k×n, C is m×n;
// lda/ldb/ldc are the row strides of A, B, C as stored. Empty products are handled
// (k = 0 only scales C by beta), which CBLAS does not promise for zero leading dimensions.
void gemm(Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n, std::size_t k,
          float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta,
          float* c, std::size_t ldc);
// The same on the calling thread only (for callers that split the work themselves); each
// element of C has the bits gemm() gives it.
void gemm_serial(Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n,
                 std::size_t k, float alpha, const float* a, std::size_t lda, const float* b,
                 std::size_t ldb, float beta, float* c, std::size_t ldc);

}  // namespace actlab::nn::detail
