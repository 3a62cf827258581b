#pragma once
// Adversarial moment-matching distillation, as docs/AMMD.md specifies it. Per state s (a
// response position) with teacher p, student q and bounded critic f = scale * tanh(h):
//   moment gap           g = sum_a (p - q) f
//   off-policy moment    g (teacher expectation exact) or f(y_t) - sum_a q f (sampled)
//   critic objective     beta (d_off - l2 P_off) + (1-beta) (d_on - l2 P_on), P the penalty:
//                        uniform: sum_a f^2; mixture: sum_a (p + q)/2 f^2
//   student loss         beta L_off + (1-beta) (L_on_direct + L_on_pg)
//     L_off = L_on_direct = -sum_a q f per state (critic detached)
//     L_on_pg = sum_t log q(y_t) * stopgrad(C_t - b_t), c_t = g_t / T, C_t = sum_{t' > t} c_t'
// Every expectation is a per-sequence average over response positions (L_on_pg a per-sequence
// sum), averaged over the sequences of the step (global counts, so ranks and micro-batches
// agree).
#include <cstdint>

#include "objectives/chunked.h"
#include "objectives/response_positions.h"

namespace amkd {

enum class AmmdPenalty {
  kUniform,  // sum_a f^2: inner maximum f = (p - q) / (2 l2), a squared-L2 distance
  kMixture,  // sum_a m f^2, m = (p + q) / 2: inner maximum f = (p - q) / (l2 (p + q))
};
enum class AmmdBaseline { kLeaveOneOut, kBatchMean, kNone };

struct AmmdParams {
  double beta = 0.5;   // weight of the off-policy distance
  double l2 = 0.5;     // critic penalty weight
  double scale = 1.0;  // f = scale * tanh(critic logits)
  AmmdPenalty penalty = AmmdPenalty::kUniform;
  bool exact_teacher_expectation = true;
  bool policy_gradient = true;
  AmmdBaseline baseline = AmmdBaseline::kLeaveOneOut;
  double discount = 1.0;  // gamma in C_t = sum_{t' > t} gamma^(t'-t-1) c_t'; 1 is AMMD.md's
  // f is the inner maximum at each state in closed form, clip(f*, -scale, scale) with f* as
  // AmmdPenalty states (a white-box teacher makes it computable), instead of a critic network:
  // AmmdSide::critic is not read and there is nothing for the critic to learn.
  bool closed_form_critic = false;
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

// The policy-gradient term needs every on-policy sequence's reward-to-go before the student's
// backward, and its baseline needs them over the whole global batch (all micro-batches and
// ranks). In order: gaps per micro-batch, reward_to_go, sum their step_totals (and all-reduce),
// then policy_gradient_advantages per micro-batch.

// The gap g of every on-policy state [N] (float64, CPU), without gradients.
torch::Tensor ammd_on_policy_gaps(const AmmdSide& on, const AmmdParams& params, int64_t chunk);
// C_t = sum_{t' > t} discount^(t'-t-1) g_t' / T within each sequence, per position [N].
torch::Tensor reward_to_go(const torch::Tensor& gaps, const ResponsePositions& positions,
                           double discount);
// [2, max_steps] float64: per response step, the sum of C and the number of sequences there.
torch::Tensor step_totals(const torch::Tensor& to_go, const ResponsePositions& positions,
                          int64_t max_steps);
// stopgrad(C_t - b_t) per position [N] float32, b_t from the global step totals.
torch::Tensor policy_gradient_advantages(const torch::Tensor& to_go,
                                         const ResponsePositions& positions,
                                         const torch::Tensor& global_totals, AmmdBaseline baseline);

struct AmmdStudentResult {
  double loss = 0, off = 0, on_direct = 0, on_pg = 0;  // this micro-batch's shares
  double d_on = 0, d_off = 0;                          // with the critic as it is now
  double tv_sum = 0, abs_f_sum = 0;                    // sums over positions (diagnostics)
  int64_t positions = 0;
};

// Backpropagates the student loss with the critic detached. `advantages` (from
// policy_gradient_advantages, one per on-policy position) is undefined when the
// policy-gradient term is off.
AmmdStudentResult ammd_student_backward(const AmmdSide& on, const AmmdSide& off,
                                        const AmmdParams& params, int64_t chunk,
                                        const torch::Tensor& advantages);

}  // namespace amkd
