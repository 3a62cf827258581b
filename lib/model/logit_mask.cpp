#include "model/logit_mask.h"

#include <limits>

namespace amkd {

torch::Tensor mask_padded_logits(const torch::Tensor& logits, int64_t valid_vocab) {
  const int64_t vocab = logits.size(-1);
  if (valid_vocab >= vocab) return logits;
  auto keep = torch::arange(vocab, logits.options().dtype(torch::kLong)) < valid_vocab;
  return logits.masked_fill(keep.logical_not(), -std::numeric_limits<float>::infinity());
}

}  // namespace amkd
