#pragma once
// Fused RMSNorm on CUDA: y = w * (x * rsqrt(mean(x^2) + eps)) with the statistics in fp32 and
// the same roundings as the decoder's CPU path (normalised value rounded to x's dtype, then
// multiplied by w). Inference only: it records no autograd graph.
#include <ATen/ATen.h>

namespace amkd::cuda {

// x [..., hidden] and w [hidden] on the same CUDA device, same floating dtype.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& w, double eps);

}  // namespace amkd::cuda
