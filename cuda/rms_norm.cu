#include "rms_norm.h"

#include <ATen/Dispatch.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include <stdexcept>
#include <string>

// Wraps a CUDA call: a failure names the call and where it happened.
#define AMKD_CUDA_CHECK(expr)                                                               \
  do {                                                                                      \
    cudaError_t err_ = (expr);                                                              \
    if (err_ != cudaSuccess)                                                                \
      throw std::runtime_error(std::string(#expr " failed at " __FILE__ ":") +              \
                               std::to_string(__LINE__) + ": " + cudaGetErrorString(err_)); \
  } while (0)

namespace amkd::cuda {
namespace {

constexpr int kThreads = 256;

__device__ float block_sum(float v) {
  __shared__ float warp_sums[kThreads / 32];
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffff, v, offset);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = threadIdx.x < kThreads / 32 ? warp_sums[threadIdx.x] : 0.0f;
  if (warp == 0)
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffff, v, offset);
  return v;  // valid in thread 0
}

// One block per row.
template <typename T>
__global__ void rms_norm_kernel(const T* __restrict__ x, const T* __restrict__ w, T* __restrict__ y,
                                int64_t hidden, float eps) {
  const T* row = x + blockIdx.x * hidden;
  T* out = y + blockIdx.x * hidden;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x) {
    const float v = static_cast<float>(row[i]);
    sum += v * v;
  }
  __shared__ float inv_rms;
  sum = block_sum(sum);
  if (threadIdx.x == 0) inv_rms = rsqrtf(sum / static_cast<float>(hidden) + eps);
  __syncthreads();
  for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x) {
    const T normed = static_cast<T>(static_cast<float>(row[i]) * inv_rms);
    out[i] = static_cast<T>(static_cast<float>(w[i]) * static_cast<float>(normed));
  }
}

}  // namespace

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& w, double eps) {
  TORCH_CHECK(x.is_cuda() && w.is_cuda(), "rms_norm: tensors must be on CUDA");
  TORCH_CHECK(x.scalar_type() == w.scalar_type(), "rms_norm: x and w dtypes differ");
  TORCH_CHECK(w.dim() == 1 && x.size(-1) == w.size(0), "rms_norm: w must be [hidden]");
  const c10::cuda::CUDAGuard guard(x.device());
  at::Tensor xc = x.contiguous();
  at::Tensor wc = w.contiguous();
  at::Tensor y = at::empty_like(xc);
  const int64_t hidden = x.size(-1);
  const int64_t rows = hidden == 0 ? 0 : xc.numel() / hidden;
  if (rows == 0) return y;
  auto stream = at::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "amkd_rms_norm", [&] {
    rms_norm_kernel<scalar_t><<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
        xc.data_ptr<scalar_t>(), wc.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(), hidden,
        static_cast<float>(eps));
  });
  AMKD_CUDA_CHECK(cudaGetLastError());
  return y;
}

}  // namespace amkd::cuda
