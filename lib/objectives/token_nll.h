#pragma once
// Negative log-likelihood of the response tokens of a training batch (SFT, and the SFT term of
// distillation objectives).
#include "data/training_set.h"
#include "model/decoder.h"
#include "objectives/loss_sum.h"

namespace amkd {

// Sum over target_mask of -log p(target). The vocabulary projection runs only at masked
// positions (prompt and padding positions never reach it), in fp32.
LossSum response_nll(CausalLMImpl& model, const TrainBatch& batch);

}  // namespace amkd
