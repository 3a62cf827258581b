#include "generate/sampling.h"

#include <limits>

namespace amkd {

torch::Tensor sampling_log_probs(const torch::Tensor& logits, const SamplingParams& params) {
  const double neg_inf = -std::numeric_limits<double>::infinity();
  torch::Tensor scores = logits.to(torch::kFloat32) / params.temperature;
  const int64_t vocab = scores.size(-1);
  if (params.top_k > 0 && params.top_k < vocab) {
    // Keep every score >= the k-th largest (ties at the boundary stay, as transformers does).
    const torch::Tensor kth = std::get<0>(scores.topk(params.top_k)).select(-1, params.top_k - 1);
    scores = scores.masked_fill(scores < kth, neg_inf);
  }
  if (params.top_p < 1.0) {
    // Ascending sort; drop the low tail whose cumulative probability is <= 1 - top_p, keep the top
    // one.
    auto [sorted, indices] = scores.sort(-1, false);
    torch::Tensor cumulative = sorted.softmax(-1).cumsum(-1);
    torch::Tensor remove = cumulative <= (1.0 - params.top_p);
    remove.index_put_({-1}, false);
    scores = scores.masked_fill(remove.scatter(-1, indices, remove), neg_inf);
  }
  return scores.log_softmax(-1);
}

int64_t sample_token(const torch::Tensor& logits, const SamplingParams& params,
                     torch::Generator& generator) {
  if (params.greedy) return logits.argmax(-1).item<int64_t>();
  torch::Tensor probs = sampling_log_probs(logits, params).exp();
  return torch::multinomial(probs, 1, false, generator).item<int64_t>();
}

}  // namespace amkd
