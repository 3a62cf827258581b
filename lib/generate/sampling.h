#pragma once
// Next-token choice from logits, as Hugging Face's generate applies its warpers: temperature,
// then top-k, then top-p (nucleus), then a draw; greedy takes the argmax.
#include <cstdint>

#include <torch/torch.h>

namespace amkd {

struct SamplingParams {
  bool greedy = false;
  double temperature = 1.0;  // > 0
  int64_t top_k = 0;         // 0: no top-k
  double top_p = 1.0;        // 1: no nucleus truncation
};

// Logits [V] -> the log-probabilities the draw uses (-inf outside the kept set).
torch::Tensor sampling_log_probs(const torch::Tensor& logits, const SamplingParams& params);

// One token id from logits [V], drawing with `generator` (ignored when greedy).
int64_t sample_token(const torch::Tensor& logits, const SamplingParams& params,
                     torch::Generator& generator);

}  // namespace amkd
