#pragma once
// Rotary position embeddings as Hugging Face computes them (rotate_half convention), including
// the linear, dynamic-NTK and llama3 frequency scalings.
#include <torch/torch.h>

#include "model/model_config.h"

namespace amkd {

// Inverse frequencies [head_dim/2] in fp32. `seq_len` (max position + 1 of the call) only
// matters for dynamic scaling, which stretches the base once seq_len exceeds
// max_position_embeddings.
torch::Tensor rope_inv_freq(const ModelConfig& config, int64_t seq_len);

// cos and sin tables [B, T, head_dim] in `dtype` for integer positions [B, T].
std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const torch::Tensor& inv_freq,
                                                     const torch::Tensor& positions,
                                                     torch::ScalarType dtype);

// x [B, H, T, D] rotated by cos/sin [B, T, D].
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos,
                         const torch::Tensor& sin);

}  // namespace amkd
