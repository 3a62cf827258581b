#pragma once
// A loss as (sum, count): summed over micro-batches and ranks, divided once at the end, so the
// result does not depend on how a global batch is split (marian's RationalLoss).
#include <cstdint>

#include <torch/torch.h>

namespace amkd {

struct LossSum {
  torch::Tensor sum;  // scalar, differentiable
  int64_t count = 0;  // tokens (or sequences) it sums over
};

}  // namespace amkd
