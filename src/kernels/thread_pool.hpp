// A tiny pool for splitting large elementwise arrays across the cores.
//
// Why not OpenMP: libgomp's idle workers spin after each parallel region, and in training
// they took the two cores from OpenBLAS's threads (seed CNN, 2 cores: training ran 4×
// slower than with OMP_WAIT_POLICY=passive). These workers sleep on a condition variable
// between calls, so a call costs a wake-up (a few µs) and nothing when idle.
#pragma once

#include <cstddef>
#include <functional>

namespace actlab::kernels::detail {

// Threads used for large arrays: ACTLAB_NUM_THREADS if set (1 turns threading off), else
// the hardware's count.
std::size_t pool_threads();

// Runs task(t, threads) for every t in [0, threads), t = 0 on the calling thread, and
// returns when all are done. If the pool is busy (another thread is using it), the call
// runs task(0, 1) inline instead of waiting.
void run_parallel(const std::function<void(std::size_t, std::size_t)>& task);

}  // namespace actlab::kernels::detail
