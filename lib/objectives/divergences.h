#pragma once
// Token-level divergences between teacher and student next-token distributions, per position,
// in fp32 over the whole vocabulary (p = teacher softmax, q = student softmax):
//   fkl  sum p (log p - log q)                      forward KL (KD)
//   rkl  sum q (log q - log p)                      reverse KL
//   jsd  beta KL(p||m) + (1-beta) KL(q||m), m = beta p + (1-beta) q   (TRL GKD's generalised
//        JSD; beta = 0 is fkl and beta = 1 is rkl, as there)
//   skl  KL(p || a p + (1-a) q)                     DistiLLM skew KL, a = skew
//   srkl KL(q || a p + (1-a) q)                     DistiLLM skew reverse KL
//   tvd  0.5 sum |p - q|
// Logits are [n, V]; results are [n], differentiable with respect to the student logits.
#include <optional>
#include <string>

#include <torch/torch.h>

namespace amkd {

enum class Divergence { kFkl, kRkl, kJsd, kSkl, kSrkl, kTvd };

// The divergence of an objective.type name (fkl, rkl, jsd, skl, srkl, tvd); nullopt otherwise.
std::optional<Divergence> divergence_named(const std::string& name);

struct DivergenceParams {
  double beta = 0.5;  // jsd mixture weight of the teacher
  double skew = 0.1;  // skl/srkl: weight of the other distribution in the mixture
};

torch::Tensor divergence(Divergence kind, const torch::Tensor& teacher_logits,
                         const torch::Tensor& student_logits, const DivergenceParams& params);

// 0.5 sum |p - q| per position (the diagnostic every objective logs).
torch::Tensor total_variation(const torch::Tensor& teacher_logits,
                              const torch::Tensor& student_logits);

// log_softmax in fp32 with -inf (masked vocabulary entries) raised to a large finite negative,
// so p log p and its gradient are exactly 0 there instead of NaN.
torch::Tensor safe_log_softmax(const torch::Tensor& logits);

}  // namespace amkd
