#include "objectives/ammd.h"

#include "objectives/divergences.h"

namespace amkd {
namespace {

struct ChunkView {
  torch::Tensor log_p, p, q, log_q, f;
};

// The critic's inner maximum per state (see AmmdParams::closed_form_critic).
torch::Tensor closed_form_values(const torch::Tensor& p, const torch::Tensor& q,
                                 const AmmdParams& params) {
  const torch::Tensor diff = p - q.detach();
  const torch::Tensor f = params.penalty == AmmdPenalty::kUniform
                              ? diff / (2 * params.l2)
                              : diff / (params.l2 * (p + q.detach()).clamp_min(1e-30));
  return f.clamp(-params.scale, params.scale);
}

// Teacher (detached) and student distributions and critic values of positions [b, e).
ChunkView view(const AmmdSide& side, int64_t b, int64_t e, const AmmdParams& params,
               bool student_grad, bool critic_grad) {
  ChunkView v;
  {
    torch::NoGradGuard no_grad;
    v.log_p = safe_log_softmax(side.teacher(b, e));
    v.p = v.log_p.exp();
  }
  torch::Tensor s = side.student(b, e);
  if (!student_grad) s = s.detach();
  v.log_q = safe_log_softmax(s);
  v.q = v.log_q.exp();
  if (params.closed_form_critic) {
    v.f = closed_form_values(v.p, v.q, params);
  } else {
    torch::Tensor h = side.critic(b, e);
    if (!critic_grad) h = h.detach();
    v.f = params.scale * torch::tanh(h.to(torch::kFloat32));
  }
  return v;
}

torch::Tensor slice(const torch::Tensor& t, int64_t b, int64_t e, const torch::Tensor& like) {
  return t.slice(0, b, e).to(like.device());
}

// Off-policy moment per state: E_p f - E_q f, the teacher side exact or from the taken token.
torch::Tensor off_moment(const ChunkView& v, const torch::Tensor& tokens, bool exact) {
  const torch::Tensor teacher_side =
      exact ? (v.p * v.f).sum(-1) : v.f.gather(1, tokens.unsqueeze(1)).squeeze(1);
  return teacher_side - (v.q * v.f).sum(-1);
}

// The penalty per state: sum_a f^2, or sum_a (p + q)/2 f^2.
torch::Tensor penalty(const ChunkView& v, AmmdPenalty kind) {
  const torch::Tensor squares = v.f * v.f;
  if (kind == AmmdPenalty::kUniform) return squares.sum(-1);
  return (0.5 * (v.p + v.q) * squares).sum(-1);
}

}  // namespace

torch::Tensor reward_to_go(const torch::Tensor& gaps, const ResponsePositions& positions,
                           double discount) {
  const torch::Tensor cost = gaps.detach().to(torch::kCPU, torch::kFloat64) *
                             positions.weight.to(torch::kFloat64);  // c_t = g_t / T
  const int64_t n = cost.size(0);
  auto row = positions.row.accessor<int64_t, 1>();
  auto c = cost.accessor<double, 1>();
  torch::Tensor to_go = torch::zeros({n}, torch::kFloat64);
  auto C = to_go.accessor<double, 1>();
  double after = 0;  // positions are row-major: walk back, resetting at each new row
  for (int64_t i = n - 1; i >= 0; --i) {
    if (i == n - 1 || row[i] != row[i + 1]) after = 0;
    C[i] = after;
    after = c[i] + discount * after;
  }
  return to_go;
}

torch::Tensor step_totals(const torch::Tensor& to_go, const ResponsePositions& positions,
                          int64_t max_steps) {
  torch::Tensor totals = torch::zeros({2, max_steps}, torch::kFloat64);
  if (positions.count() == 0) return totals;
  if (positions.step.max().item<int64_t>() >= max_steps)
    throw std::logic_error("step_totals: a response is longer than max_steps");
  totals[0].index_add_(0, positions.step, to_go.to(torch::kFloat64));
  totals[1].index_add_(0, positions.step, torch::ones({positions.count()}, torch::kFloat64));
  return totals;
}

torch::Tensor policy_gradient_advantages(const torch::Tensor& to_go,
                                         const ResponsePositions& positions,
                                         const torch::Tensor& global_totals,
                                         AmmdBaseline baseline) {
  torch::Tensor adv = to_go.to(torch::kFloat64);
  if (baseline != AmmdBaseline::kNone && positions.count() > 0) {
    const torch::Tensor sum = global_totals[0].index_select(0, positions.step);
    const torch::Tensor count = global_totals[1].index_select(0, positions.step);
    if (baseline == AmmdBaseline::kBatchMean) {
      adv = adv - sum / count;
    } else {  // the mean over the other sequences at this step; 0 where there are none
      const torch::Tensor others = count - 1;
      adv =
          adv - torch::where(others > 0, (sum - adv) / others.clamp_min(1), torch::zeros_like(adv));
    }
  }
  return adv.to(torch::kFloat32);
}

torch::Tensor ammd_on_policy_gaps(const AmmdSide& on, const AmmdParams& params, int64_t chunk) {
  std::vector<torch::Tensor> gaps{torch::zeros({0}, torch::kFloat64)};
  sum_over_chunks(on.positions.count(), chunk, false, [&](int64_t b, int64_t e) {
    const ChunkView v = view(on, b, e, params, false, false);
    const torch::Tensor g = ((v.p - v.q) * v.f).sum(-1);
    gaps.push_back(g.to(torch::kCPU, torch::kFloat64));
    return g.sum();
  });
  return torch::cat(gaps);
}

AmmdCriticResult ammd_critic_backward(const AmmdSide& on, const AmmdSide& off,
                                      const AmmdParams& params, int64_t chunk) {
  AmmdCriticResult r;
  auto side_pass = [&](const AmmdSide& side, bool is_off, double mix, double& distance,
                       double& pen_sum) {
    const double norm = 1.0 / side.global_sequences;
    sum_over_chunks(side.positions.count(), chunk, true, [&](int64_t b, int64_t e) {
      const ChunkView v = view(side, b, e, params, false, true);
      const torch::Tensor w = slice(side.positions.weight, b, e, v.f) * norm;
      const torch::Tensor moment = is_off ? off_moment(v, slice(side.positions.token, b, e, v.f),
                                                       params.exact_teacher_expectation)
                                          : ((v.p - v.q) * v.f).sum(-1);
      const torch::Tensor d = (w * moment).sum(), pen = (w * penalty(v, params.penalty)).sum();
      distance += d.item<double>();
      pen_sum += pen.item<double>();
      return -mix * (d - params.l2 * pen);  // ascent on the objective
    });
  };
  side_pass(off, true, params.beta, r.d_off, r.penalty_off);
  side_pass(on, false, 1 - params.beta, r.d_on, r.penalty_on);
  r.objective = params.beta * (r.d_off - params.l2 * r.penalty_off) +
                (1 - params.beta) * (r.d_on - params.l2 * r.penalty_on);
  return r;
}

AmmdStudentResult ammd_student_backward(const AmmdSide& on, const AmmdSide& off,
                                        const AmmdParams& params, int64_t chunk,
                                        const torch::Tensor& advantages) {
  AmmdStudentResult r;
  auto diagnostics = [&](const ChunkView& v) {
    torch::NoGradGuard no_grad;
    r.tv_sum += (0.5 * (v.p - v.q).abs().sum(-1)).sum().item<double>();
    r.abs_f_sum += v.f.abs().mean(-1).sum().item<double>();
    r.positions += v.p.size(0);
  };
  auto weights = [](const AmmdSide& side, int64_t b, int64_t e, const ChunkView& v) {
    return slice(side.positions.weight, b, e, v.f) / side.global_sequences;
  };

  sum_over_chunks(off.positions.count(), chunk, true, [&](int64_t b, int64_t e) {
    const ChunkView v = view(off, b, e, params, true, false);
    const torch::Tensor w = weights(off, b, e, v);
    const torch::Tensor term = -(w * (v.q * v.f).sum(-1)).sum();
    r.off += term.item<double>();
    r.d_off +=
        (w * off_moment(v, slice(off.positions.token, b, e, v.f), params.exact_teacher_expectation))
            .detach()
            .sum()
            .item<double>();
    diagnostics(v);
    return params.beta * term;
  });
  const bool pg = params.policy_gradient && advantages.defined();
  sum_over_chunks(on.positions.count(), chunk, true, [&](int64_t b, int64_t e) {
    const ChunkView v = view(on, b, e, params, true, false);
    const torch::Tensor w = weights(on, b, e, v);
    torch::Tensor terms = -(w * (v.q * v.f).sum(-1)).sum();
    r.on_direct += terms.item<double>();
    r.d_on += (w * ((v.p - v.q) * v.f).sum(-1)).detach().sum().item<double>();
    diagnostics(v);
    if (pg) {
      // A per-sequence sum of log q(y_t) (C_t - b_t): C_t already holds the 1/T of each cost.
      const torch::Tensor taken = slice(on.positions.token, b, e, v.f).unsqueeze(1);
      const torch::Tensor pg_term =
          (v.log_q.gather(1, taken).squeeze(1) * slice(advantages, b, e, v.f) / on.global_sequences)
              .sum();
      r.on_pg += pg_term.item<double>();
      terms = terms + pg_term;
    }
    return (1 - params.beta) * terms;
  });
  r.loss = params.beta * r.off + (1 - params.beta) * (r.on_direct + r.on_pg);
  return r;
}

}  // namespace amkd
