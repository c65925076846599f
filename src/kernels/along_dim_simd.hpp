// The softmax family (softmax, softmin, log_softmax) and glu forward and backward with
// Highway vectors (along_dim_simd.cpp), for the FMA targets (AVX2, AVX-512); along_dim.cpp
// calls these first and runs its scalar loops when they return false (SSE4 and scalar targets,
// or a shape the vector path leaves alone). Sizes are checked by the caller.
#pragma once

#include <cstddef>

#include "actlab/shape.hpp"

namespace actlab::kernels::detail {

enum class SoftmaxKind { kSoftmax, kSoftmin, kLogSoftmax };

// y = softmax(±x/T) or log_softmax(x/T) along the split's middle dimension; dst may alias
// src. Returns false (nothing written) where the scalar loops must run instead.
bool simd_softmax_forward(SoftmaxKind kind, const DimSplit& split, float temperature,
                          const float* src, float* dst);

// The gradient from the saved output y; diff_src may alias diff_dst. Returns false as above.
bool simd_softmax_backward(SoftmaxKind kind, const DimSplit& split, float temperature,
                           const float* y, const float* diff_dst, float* diff_src);

// glu (y = a·σ(b), a | b the halves along the split's dimension) forward, and its backward
// from the input, with Highway vectors (FMA targets); false (nothing written) elsewhere.
bool simd_glu_forward(const DimSplit& split, const float* src, float* dst);
// maxout forward, and its backward from the input, with Highway vectors where the shape
// suits them (dims with inner ≥ a vector; the last dim with 2 ≤ pieces < 2 vectors) on the
// FMA targets; false (nothing written) elsewhere. Same bits as the scalar loops.
bool simd_maxout_forward(const DimSplit& split, std::size_t pieces, const float* src,
                         float* dst);
bool simd_maxout_backward(const DimSplit& split, std::size_t pieces, const float* src,
                          const float* diff_dst, float* diff_src);
// glu's dy·a·σ'(b), scalar (along_dim.cpp): the loops' and the vector path's edge cases.
float times_sigmoid_slope(float dy, float a, float b);
bool simd_glu_backward(const DimSplit& split, const float* src, const float* diff_dst,
                       float* diff_src);

}  // namespace actlab::kernels::detail
