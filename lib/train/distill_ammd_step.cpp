// AMMD's training step: on- and off-policy batches, critic ascent, then the student's loss with
// the policy-gradient advantages computed over the global batch first (docs/AMMD.md).
#include "train/autocast.h"
#include "train/distill_trainer_state.h"
#include "train/gradient_reduction.h"

namespace amkd {
namespace distill {

AmmdParams DistillTrainer::ammd_params() const {
  AmmdParams p;
  p.beta = r_.objective.beta;
  p.l2 = r_.critic.l2;
  p.scale = r_.critic.scale;
  p.penalty = r_.critic.penalty == "mixture" ? AmmdPenalty::kMixture : AmmdPenalty::kUniform;
  p.exact_teacher_expectation = r_.objective.teacher_expectation == "exact";
  p.policy_gradient = r_.policy_gradient.enabled;
  p.baseline = r_.policy_gradient.baseline == "leave_one_out" ? AmmdBaseline::kLeaveOneOut
               : r_.policy_gradient.baseline == "batch_mean"  ? AmmdBaseline::kBatchMean
                                                              : AmmdBaseline::kNone;
  p.discount = r_.policy_gradient.discount;
  p.closed_form_critic = r_.critic.form == "closed_form";
  return p;
}

std::vector<AmmdMicroBatch> DistillTrainer::ammd_micro_batches(const std::vector<size_t>& idx,
                                                               int64_t step, uint64_t salt) {
  const Sequences on = generated(student_, idx, step, salt);
  const Sequences off = rollout(r_.off_policy.source, idx, step, salt + 1);
  on_sequences_ = global_sum(static_cast<double>(on.size()));
  off_sequences_ = global_sum(static_cast<double>(off.size()));
  std::vector<AmmdMicroBatch> micro;
  for (size_t b = 0; b < on.size(); b += static_cast<size_t>(r_.train.batch_size)) {
    const size_t e = std::min(on.size(), b + static_cast<size_t>(r_.train.batch_size));
    AmmdMicroBatch m{collate_training_batch(pointers(on, b, e), pad_id_),
                     collate_training_batch(pointers(off, b, e), pad_id_)};
    m.on_positions = response_positions(m.on.target_mask, m.on.targets);
    m.off_positions = response_positions(m.off.target_mask, m.off.targets);
    AutocastScope autocast(bf16_, device_.type(), torch::kBFloat16);
    auto start = Clock::now();
    m.teacher_on = hidden_rows(*teacher_, m.on, false);
    m.teacher_off = hidden_rows(*teacher_, m.off, false);
    times_.teacher += seconds_since(start);
    start = Clock::now();
    m.student_on = hidden_rows(*student_, m.on, false);
    m.student_off = hidden_rows(*student_, m.off, false);
    times_.student += seconds_since(start);
    micro.push_back(std::move(m));
  }
  return micro;
}

// One side of micro-batch m for the objective, reading m's fixed rows (the student's step
// replaces the student producer with a differentiable one).
AmmdSide DistillTrainer::ammd_side(const AmmdMicroBatch& m, bool off_policy) {
  AmmdSide s;
  s.positions = off_policy ? m.off_positions : m.on_positions;
  s.teacher = head(*teacher_, off_policy ? m.teacher_off : m.teacher_on);
  s.student = head(*student_, off_policy ? m.student_off : m.student_on);
  if (critic_) {
    const torch::Tensor rows = off_policy ? m.critic_off : m.critic_on;
    Critic* critic = critic_.get();
    s.critic = [critic, off_policy, rows](int64_t b, int64_t e) {
      return critic->head(off_policy, rows.slice(0, b, e));
    };
  }
  s.global_sequences = off_policy ? off_sequences_ : on_sequences_;
  return s;
}

AmmdCriticResult DistillTrainer::critic_update(std::vector<AmmdMicroBatch>& micro,
                                               double& grad_norm) {
  const auto start = Clock::now();
  const AmmdParams params = ammd_params();
  AmmdCriticResult total;
  critic_->optimizer().zero_grad();
  for (AmmdMicroBatch& m : micro) {
    AutocastScope autocast(bf16_, device_.type(), torch::kBFloat16);
    ChunkedLeaf c_on(
        critic_->hidden(false, m.on.input_ids.to(device_)).index({m.on.target_mask.to(device_)}));
    ChunkedLeaf c_off(
        critic_->hidden(true, m.off.input_ids.to(device_)).index({m.off.target_mask.to(device_)}));
    m.critic_on = c_on.leaf();
    m.critic_off = c_off.leaf();
    const AmmdCriticResult part = ammd_critic_backward(ammd_side(m, false), ammd_side(m, true),
                                                       params, r_.objective.chunk_positions);
    c_on.finish();
    c_off.finish();
    total.objective += part.objective;
    total.d_on += part.d_on;
    total.d_off += part.d_off;
  }
  reduce_gradients(critic_->parameters(), {}, group_.get());
  grad_norm = critic_->optimizer().step(critic_->learning_rate());
  times_.critic += seconds_since(start);
  return total;
}

nlohmann::json DistillTrainer::critic_warmup_step(const std::vector<size_t>& idx, int64_t k) {
  std::vector<AmmdMicroBatch> micro = ammd_micro_batches(idx, k, 7);
  double norm = 0;
  const AmmdCriticResult r = critic_update(micro, norm);
  return {{"critic_warmup_step", k + 1},
          {"d_on", global_sum(r.d_on)},
          {"d_off", global_sum(r.d_off)},
          {"critic_objective", global_sum(r.objective)},
          {"critic_grad_norm", norm}};
}

nlohmann::json DistillTrainer::ammd_step(const std::vector<size_t>& idx, int64_t step) {
  const AmmdParams params = ammd_params();
  std::vector<AmmdMicroBatch> micro = ammd_micro_batches(idx, step, 2);

  // Critic: critic.steps ascent steps with teacher and student fixed.
  AmmdCriticResult critic_result;
  double critic_norm = 0;
  if (critic_)
    for (int64_t k = 0; k < r_.critic.steps; ++k) critic_result = critic_update(micro, critic_norm);

  // The updated critic's rows (no gradients), then the on-policy gaps of every micro-batch and
  // rank: the baseline at each response step needs the whole global batch.
  const int64_t max_steps = r_.data.max_length;
  torch::Tensor totals = torch::zeros({2, max_steps}, torch::kFloat64);
  std::vector<torch::Tensor> to_go(micro.size());
  for (size_t i = 0; i < micro.size(); ++i) {
    AmmdMicroBatch& m = micro[i];
    AutocastScope autocast(bf16_, device_.type(), torch::kBFloat16);
    if (critic_) {
      const auto start = Clock::now();
      torch::NoGradGuard no_grad;
      m.critic_on =
          critic_->hidden(false, m.on.input_ids.to(device_)).index({m.on.target_mask.to(device_)});
      m.critic_off =
          critic_->hidden(true, m.off.input_ids.to(device_)).index({m.off.target_mask.to(device_)});
      times_.critic += seconds_since(start);
    }
    if (!params.policy_gradient) continue;
    const auto start = Clock::now();
    to_go[i] =
        reward_to_go(ammd_on_policy_gaps(ammd_side(m, false), params, r_.objective.chunk_positions),
                     m.on_positions, params.discount);
    totals += step_totals(to_go[i], m.on_positions, max_steps);
    times_.student += seconds_since(start);
  }
  if (params.policy_gradient) {
    if (group_) {
      std::vector<torch::Tensor> t{totals.to(device_)};
      group_->all_reduce_sum(t);
      totals = t[0].cpu();
    }
    for (size_t i = 0; i < micro.size(); ++i)
      micro[i].advantages =
          policy_gradient_advantages(to_go[i], micro[i].on_positions, totals, params.baseline);
  }

  // Student: the loss terms with the critic detached.
  AmmdStudentResult total;
  double positions = 0;
  for (AmmdMicroBatch& m : micro) {
    AutocastScope autocast(bf16_, device_.type(), torch::kBFloat16);
    const auto start = Clock::now();
    ChunkedLeaf s_on(hidden_rows(*student_, m.on, true));
    ChunkedLeaf s_off(hidden_rows(*student_, m.off, true));
    AmmdSide on = ammd_side(m, false), off = ammd_side(m, true);
    on.student = head(*student_, s_on.leaf());
    off.student = head(*student_, s_off.leaf());
    const AmmdStudentResult part =
        ammd_student_backward(on, off, params, r_.objective.chunk_positions, m.advantages);
    s_on.finish();
    s_off.finish();
    times_.student += seconds_since(start);
    total.loss += part.loss;
    total.off += part.off;
    total.on_direct += part.on_direct;
    total.on_pg += part.on_pg;
    total.d_on += part.d_on;
    total.d_off += part.d_off;
    total.tv_sum += part.tv_sum;
    total.abs_f_sum += part.abs_f_sum;
    positions += static_cast<double>(part.positions);
  }
  positions = global_sum(positions);
  nlohmann::json row = {{"loss", global_sum(total.loss)},
                        {"l_off", global_sum(total.off)},
                        {"l_on_direct", global_sum(total.on_direct)},
                        {"l_on_pg", global_sum(total.on_pg)},
                        {"d_on", global_sum(total.d_on)},
                        {"d_off", global_sum(total.d_off)},
                        {"tv", global_sum(total.tv_sum) / positions},
                        {"mean_abs_f", global_sum(total.abs_f_sum) / positions}};
  if (critic_) {
    row["critic_objective"] = global_sum(critic_result.objective);
    row["critic_loss"] = -row["critic_objective"].get<double>();
    row["critic_lr"] = critic_->learning_rate();
    row["critic_grad_norm"] = critic_norm;
  }
  add_sft_term(idx, row);
  return row;
}

}  // namespace distill
}  // namespace amkd
