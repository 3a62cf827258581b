#pragma once
#include <torch/torch.h>

namespace amkd {

// Sets logits of ids >= valid_vocab (padded head rows, tokens one side lacks) to -inf, so
// softmax gives them exactly zero probability. Returns `logits` unchanged when nothing is padded.
torch::Tensor mask_padded_logits(const torch::Tensor& logits, int64_t valid_vocab);

}  // namespace amkd
