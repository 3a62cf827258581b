#pragma once
// The one point where a step's gradients become final: summed over ranks together with the
// step's (loss sum, count) totals, then divided once by the global count. Gradients before this
// call are gradients of loss *sums*, so the result does not depend on micro-batching.
#include <vector>

#include <torch/torch.h>

#include "dist/process_group.h"

namespace amkd {

struct StepTotals {
  double loss_sum = 0;
  double count = 0;
};

// Returns the global totals. Parameters without a gradient get zeros, so every rank reduces
// the same tensors. `group` may be null (one process).
StepTotals reduce_gradients(const std::vector<torch::Tensor>& parameters, StepTotals local,
                            ProcessGroup* group);

}  // namespace amkd
