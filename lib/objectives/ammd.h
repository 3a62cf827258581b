#pragma once
// Adversarial moment-matching distillation, as docs/AMMD.md specifies it. Per state s (a
// response position) with teacher p, student q and bounded critic f = scale * tanh(h):
//   moment gap           g = sum_a (p - q) f
//   off-policy moment    g (teacher expectation exact) or f(y_t) - sum_a q f (sampled)
//   critic objective     beta d_off + (1-beta) d_on - l2 (beta E_off[sum f^2] + (1-beta) E_on[sum
//   f^2]) student loss         beta L_off + (1-beta) (L_on_direct + L_on_pg)
//     L_off = L_on_direct = -sum_a q f per state (critic detached)
//     L_on_pg = log q(y_t) * stopgrad(C_t - b_t), c_t = g_t / T, C_t = sum_{t' > t} c_t'
// Every expectation is a per-sequence average over response positions, averaged over the
// sequences of the step (global counts, so data-parallel ranks and micro-batches agree).
#include <cstdint>

#include "objectives/chunked.h"
#include "objectives/response_positions.h"

namespace amkd {

struct AmmdParams {
  double beta = 0.5;   // weight of the off-policy distance
  double l2 = 0.5;     // critic penalty on sum_a f^2
  double scale = 1.0;  // f = scale * tanh(critic logits)
  bool exact_teacher_expectation = true;
  bool policy_gradient = true;
  bool batch_mean_baseline = true;
};

// One side of the game: the positions of the on-policy (student-sampled) or off-policy
// (teacher or dataset) batch, with chunk producers of each model's logits.
struct AmmdSide {
  ResponsePositions positions;
  LogitsFn teacher, student, critic;  // critic: raw head outputs h (f = scale * tanh(h))
  double global_sequences = 1;        // sequences of this side over all micro-batches and ranks
};

struct AmmdCriticResult {
  double objective = 0;  // this micro-batch's share of the critic objective (to be maximised)
  double d_on = 0, d_off = 0, penalty_on = 0, penalty_off = 0;
};

// Backpropagates the negated critic objective (gradient ascent for the critic) with student
// and teacher detached.
AmmdCriticResult ammd_critic_backward(const AmmdSide& on, const AmmdSide& off,
                                      const AmmdParams& params, int64_t chunk);

struct AmmdStudentResult {
  double loss = 0, off = 0, on_direct = 0, on_pg = 0;  // this micro-batch's shares
  double d_on = 0, d_off = 0;                          // with the critic as it is now
  double tv_sum = 0, abs_f_sum = 0;                    // sums over positions (diagnostics)
  int64_t positions = 0;
};

// Backpropagates the student loss with the critic detached. The policy-gradient advantages
// come from a first pass without gradients (the gaps of every on-policy state).
AmmdStudentResult ammd_student_backward(const AmmdSide& on, const AmmdSide& off,
                                        const AmmdParams& params, int64_t chunk);

// stopgrad(C_t - b_t) per on-policy position from the gaps g [N]: reward-to-go of
// c_t = g_t / T within each sequence, minus the mean of C over the sequences at that step.
torch::Tensor policy_gradient_advantages(const torch::Tensor& gaps,
                                         const ResponsePositions& positions, bool batch_mean);

}  // namespace amkd
