#include "objectives/ammd.h"

#include "objectives/divergences.h"

namespace amkd {
namespace {

struct ChunkView {
  torch::Tensor log_p, p, q, log_q, f;
};

// Teacher (detached) and student distributions and critic values of positions [b, e).
ChunkView view(const AmmdSide& side, int64_t b, int64_t e, double scale, bool student_grad,
               bool critic_grad) {
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
  torch::Tensor h = side.critic(b, e);
  if (!critic_grad) h = h.detach();
  v.f = scale * torch::tanh(h.to(torch::kFloat32));
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

}  // namespace

torch::Tensor policy_gradient_advantages(const torch::Tensor& gaps,
                                         const ResponsePositions& positions, bool batch_mean) {
  const torch::Tensor g = gaps.detach().to(torch::kCPU, torch::kFloat64);
  const int64_t n = g.size(0);
  const torch::Tensor cost = g * positions.weight.to(torch::kFloat64);  // c_t = g_t / T
  auto row = positions.row.accessor<int64_t, 1>();
  auto c = cost.accessor<double, 1>();
  torch::Tensor to_go = torch::zeros({n}, torch::kFloat64);
  auto C = to_go.accessor<double, 1>();
  double after = 0;  // positions are row-major: walk back, resetting at each new row
  for (int64_t i = n - 1; i >= 0; --i) {
    if (i == n - 1 || row[i] != row[i + 1]) after = 0;
    C[i] = after;
    after += c[i];
  }
  if (batch_mean && n > 0) {
    const int64_t steps = positions.step.max().item<int64_t>() + 1;
    const auto sum = torch::zeros({steps}, torch::kFloat64).index_add_(0, positions.step, to_go);
    const auto count = torch::zeros({steps}, torch::kFloat64)
                           .index_add_(0, positions.step, torch::ones({n}, torch::kFloat64));
    to_go = to_go - (sum / count).index_select(0, positions.step);
  }
  return to_go.to(torch::kFloat32);
}

AmmdCriticResult ammd_critic_backward(const AmmdSide& on, const AmmdSide& off,
                                      const AmmdParams& params, int64_t chunk) {
  AmmdCriticResult r;
  auto side_pass = [&](const AmmdSide& side, bool is_off, double mix, double& distance,
                       double& penalty) {
    const double norm = 1.0 / side.global_sequences;
    sum_over_chunks(side.positions.count(), chunk, true, [&](int64_t b, int64_t e) {
      const ChunkView v = view(side, b, e, params.scale, false, true);
      const torch::Tensor w = slice(side.positions.weight, b, e, v.f) * norm;
      const torch::Tensor moment = is_off ? off_moment(v, slice(side.positions.token, b, e, v.f),
                                                       params.exact_teacher_expectation)
                                          : ((v.p - v.q) * v.f).sum(-1);
      const torch::Tensor squares = (v.f * v.f).sum(-1);
      const torch::Tensor d = (w * moment).sum(), pen = (w * squares).sum();
      distance += d.item<double>();
      penalty += pen.item<double>();
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
                                        const AmmdParams& params, int64_t chunk) {
  AmmdStudentResult r;
  auto diagnostics = [&](const ChunkView& v) {
    r.tv_sum += (0.5 * (v.p - v.q).abs().sum(-1)).sum().item<double>();
    r.abs_f_sum += v.f.abs().mean(-1).sum().item<double>();
    r.positions += v.p.size(0);
  };
  auto weights = [](const AmmdSide& side, int64_t b, int64_t e, const ChunkView& v) {
    return slice(side.positions.weight, b, e, v.f) / side.global_sequences;
  };

  // Pass 1, no gradients: the gap of every on-policy state (for the advantages and d_on).
  std::vector<torch::Tensor> gaps;
  sum_over_chunks(on.positions.count(), chunk, false, [&](int64_t b, int64_t e) {
    const ChunkView v = view(on, b, e, params.scale, false, false);
    const torch::Tensor g = ((v.p - v.q) * v.f).sum(-1);
    gaps.push_back(g.cpu());
    r.d_on += (weights(on, b, e, v) * g).sum().item<double>();
    diagnostics(v);
    return g.sum();
  });
  torch::Tensor advantages;
  if (params.policy_gradient && on.positions.count() > 0)
    advantages =
        policy_gradient_advantages(torch::cat(gaps), on.positions, params.batch_mean_baseline);

  // Pass 2: the student terms with gradients, critic detached.
  sum_over_chunks(off.positions.count(), chunk, true, [&](int64_t b, int64_t e) {
    const ChunkView v = view(off, b, e, params.scale, true, false);
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
  sum_over_chunks(on.positions.count(), chunk, true, [&](int64_t b, int64_t e) {
    const ChunkView v = view(on, b, e, params.scale, true, false);
    const torch::Tensor w = weights(on, b, e, v);
    torch::Tensor terms = -(w * (v.q * v.f).sum(-1)).sum();
    r.on_direct += terms.item<double>();
    if (advantages.defined()) {
      const torch::Tensor taken = slice(on.positions.token, b, e, v.f).unsqueeze(1);
      const torch::Tensor pg =
          (w * v.log_q.gather(1, taken).squeeze(1) * slice(advantages, b, e, v.f)).sum();
      r.on_pg += pg.item<double>();
      terms = terms + pg;
    }
    return (1 - params.beta) * terms;
  });
  r.loss = params.beta * r.off + (1 - params.beta) * (r.on_direct + r.on_pg);
  return r;
}

}  // namespace amkd
