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

// The seed of request `index` in a run seeded `run_seed` (splitmix64 of both): runs with nearby
// seeds do not share samples, and a request's seed does not depend on its batch.
inline uint64_t request_seed(uint64_t run_seed, uint64_t index) {
  uint64_t z = run_seed * 0x9E3779B97F4A7C15ULL + index + 0x632BE59BD9B4E019ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace amkd
