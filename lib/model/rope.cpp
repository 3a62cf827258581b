#include "model/rope.h"

#include <cmath>

namespace amkd {

torch::Tensor rope_inv_freq(const ModelConfig& config, int64_t seq_len) {
  const RopeConfig& rope = config.rope;
  const int64_t dim = config.head_dim;
  double base = rope.theta;
  if (rope.type == "dynamic") {
    // NTK-aware base stretching, as transformers' _compute_dynamic_ntk_parameters.
    const double max_pos = static_cast<double>(config.max_position_embeddings);
    const double len = std::max(static_cast<double>(seq_len), max_pos);
    base = base * std::pow(rope.factor * len / max_pos - (rope.factor - 1.0),
                           static_cast<double>(dim) / static_cast<double>(dim - 2));
  }
  // Same arithmetic as transformers: fp32 exponents, base ** (2i/dim).
  auto exponents =
      torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<float>(dim);
  torch::Tensor inv_freq = 1.0 / torch::pow(base, exponents);
  if (rope.type == "linear") {
    inv_freq = inv_freq / rope.factor;
  } else if (rope.type == "llama3") {
    const double old_len = static_cast<double>(rope.original_max_position_embeddings);
    const double low_freq_wavelen = old_len / rope.low_freq_factor;
    const double high_freq_wavelen = old_len / rope.high_freq_factor;
    torch::Tensor wavelen = 2.0 * M_PI / inv_freq;
    torch::Tensor scaled =
        torch::where(wavelen > low_freq_wavelen, inv_freq / rope.factor, inv_freq);
    torch::Tensor smooth =
        (old_len / wavelen - rope.low_freq_factor) / (rope.high_freq_factor - rope.low_freq_factor);
    torch::Tensor smoothed = (1 - smooth) * scaled / rope.factor + smooth * scaled;
    torch::Tensor medium = (wavelen >= high_freq_wavelen).logical_and(wavelen <= low_freq_wavelen);
    inv_freq = torch::where(medium, smoothed, scaled);
  }
  return inv_freq.to(torch::kFloat32);
}

std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const torch::Tensor& inv_freq,
                                                     const torch::Tensor& positions,
                                                     torch::ScalarType dtype) {
  // freqs[b, t, i] = pos[b, t] * inv_freq[i], in fp32 whatever the model dtype.
  torch::Tensor freqs = positions.to(torch::kFloat32).unsqueeze(-1) *
                        inv_freq.to(positions.device()).view({1, 1, -1});
  torch::Tensor emb = torch::cat({freqs, freqs}, -1);
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos,
                         const torch::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  torch::Tensor x1 = x.narrow(-1, 0, half);
  torch::Tensor x2 = x.narrow(-1, half, half);
  torch::Tensor rotated = torch::cat({-x2, x1}, -1);
  torch::Tensor c = cos.unsqueeze(1);  // [B, 1, T, D] broadcasts over heads
  torch::Tensor s = sin.unsqueeze(1);
  return x * c + rotated * s;
}

}  // namespace amkd
