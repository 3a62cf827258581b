#include "objectives/divergences.h"

#include <cmath>

namespace amkd {
namespace {

// KL(a || b) per row from log-probabilities.
torch::Tensor kl(const torch::Tensor& log_a, const torch::Tensor& log_b) {
  return (log_a.exp() * (log_a - log_b)).sum(-1);
}

// log(w a + (1 - w) b) from log a and log b, computed stably.
torch::Tensor log_mixture(const torch::Tensor& log_a, const torch::Tensor& log_b, double w) {
  if (w <= 0) return log_b;
  if (w >= 1) return log_a;
  return torch::logaddexp(log_a + std::log(w), log_b + std::log1p(-w));
}

}  // namespace

std::optional<Divergence> divergence_named(const std::string& name) {
  if (name == "fkl") return Divergence::kFkl;
  if (name == "rkl") return Divergence::kRkl;
  if (name == "jsd") return Divergence::kJsd;
  if (name == "skl") return Divergence::kSkl;
  if (name == "srkl") return Divergence::kSrkl;
  if (name == "tvd") return Divergence::kTvd;
  return std::nullopt;
}

torch::Tensor safe_log_softmax(const torch::Tensor& logits) {
  return torch::log_softmax(logits.to(torch::kFloat32), -1).clamp_min(-1e4);
}

torch::Tensor divergence(Divergence kind, const torch::Tensor& teacher_logits,
                         const torch::Tensor& student_logits, const DivergenceParams& params) {
  const torch::Tensor log_p = safe_log_softmax(teacher_logits);
  const torch::Tensor log_q = safe_log_softmax(student_logits);
  switch (kind) {
    case Divergence::kFkl:
      return kl(log_p, log_q);
    case Divergence::kRkl:
      return kl(log_q, log_p);
    case Divergence::kJsd: {
      // As TRL's GKD: the ends are the plain KLs (the mixture formula degenerates there).
      if (params.beta <= 0) return kl(log_p, log_q);
      if (params.beta >= 1) return kl(log_q, log_p);
      const torch::Tensor log_m = log_mixture(log_p, log_q, params.beta);
      return params.beta * kl(log_p, log_m) + (1 - params.beta) * kl(log_q, log_m);
    }
    case Divergence::kSkl:
      return kl(log_p, log_mixture(log_p, log_q, params.skew));
    case Divergence::kSrkl:
      return kl(log_q, log_mixture(log_p, log_q, params.skew));
    case Divergence::kTvd:
      return 0.5 * (log_p.exp() - log_q.exp()).abs().sum(-1);
  }
  throw std::logic_error("divergence: unknown kind");
}

torch::Tensor total_variation(const torch::Tensor& teacher_logits,
                              const torch::Tensor& student_logits) {
  return divergence(Divergence::kTvd, teacher_logits, student_logits, {});
}

}  // namespace amkd
