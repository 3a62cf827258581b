#pragma once
// The distillation trainer's state, shared by its orchestration (distill_trainer.cpp) and its
// step kinds (distill_baseline_step.cpp, distill_ammd_step.cpp). Private to lib/train.
#include <chrono>
#include <memory>
#include <random>
#include <sstream>

#include "data/batching.h"
#include "data/training_set.h"
#include "dist/dist_env.h"
#include "dist/process_group.h"
#include "generate/generator.h"
#include "model/decoder.h"
#include "objectives/ammd.h"
#include "tokenizer/tokenizer.h"
#include "train/critic.h"
#include "train/distill_trainer.h"
#include "train/optimizer.h"
#include "train/replay_buffer.h"
#include "train/rollouts.h"

namespace amkd {
namespace distill {

using Clock = std::chrono::steady_clock;
using Sequences = std::vector<EncodedExample>;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<const EncodedExample*> pointers(const Sequences& s, size_t begin, size_t end);

struct StepTimes {
  double generation = 0, teacher = 0, student = 0, critic = 0, optimizer = 0;
};

// One micro-batch of an AMMD step: the on-policy (student-sampled) and off-policy batches, the
// teacher's and the student's hidden rows at their response positions (fixed during the step),
// and the critic's rows once computed.
struct AmmdMicroBatch {
  TrainBatch on, off;
  ResponsePositions on_positions, off_positions;
  torch::Tensor teacher_on, teacher_off, student_on, student_off, critic_on, critic_off;
  torch::Tensor advantages;  // policy-gradient advantages of the on-policy positions
};

class DistillTrainer {
 public:
  DistillTrainer(const Recipe& recipe, std::ostream& console);
  TrainSummary run();

 private:
  Sequences dataset_sequences(const std::vector<size_t>& idx) const;
  Sequences generated(CausalLM& model, const std::vector<size_t>& idx, int64_t step, uint64_t salt);
  Sequences cached(const std::vector<size_t>& idx) const;
  Sequences rollout(const std::string& source, const std::vector<size_t>& idx, int64_t step,
                    uint64_t salt);
  std::string choose_source(int64_t step);
  double global_sum(double local);
  torch::Tensor hidden_rows(CausalLMImpl& model, const TrainBatch& batch, bool grad);
  LogitsFn head(CausalLMImpl& model, torch::Tensor rows) const;
  // The baselines (distill_baseline_step.cpp): divergences or SFT on one source's responses.
  nlohmann::json baseline_step(const std::vector<size_t>& idx, int64_t step);
  // AMMD (distill_ammd_step.cpp): one step of critic.steps ascent steps then the student's
  // loss; a warm-up step (critic.warmup_steps, before training) updates the critic only.
  nlohmann::json ammd_step(const std::vector<size_t>& idx, int64_t step);
  nlohmann::json critic_warmup_step(const std::vector<size_t>& idx, int64_t k);
  std::vector<AmmdMicroBatch> ammd_micro_batches(const std::vector<size_t>& idx, int64_t step,
                                                 uint64_t salt);
  AmmdSide ammd_side(const AmmdMicroBatch& m, bool off_policy);
  AmmdCriticResult critic_update(std::vector<AmmdMicroBatch>& micro, double& grad_norm);
  AmmdParams ammd_params() const;
  // objective.sft_weight x the mean NLL of the dataset responses of these examples.
  // Adds its value to `row` as l_sft.
  void add_sft_term(const std::vector<size_t>& idx, nlohmann::json& row);
  std::pair<double, double> validate();  // (TV, student NLL) on the held-out set

  const Recipe& r_;
  std::ostream& console_;
  std::ostringstream muted_;
  DistEnv env_;
  std::unique_ptr<ProcessGroup> group_;
  torch::Device device_;
  bool bf16_;
  std::unique_ptr<Tokenizer> tokenizer_;
  TrainingData data_;
  std::unique_ptr<TeacherCache> cache_;
  int64_t vocab_ = 0, pad_id_ = 0;
  CausalLM teacher_{nullptr}, student_{nullptr};
  std::unique_ptr<Critic> critic_;
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<torch::Tensor> student_params_;
  GenerationConfig generation_;
  std::mt19937_64 rng_;  // the same on every rank: each step's source
  // Each rank keeps its own student outputs (replay_capacity / ranks of them, so the buffer
  // fills at the same step whatever the rank count) and draws from them with its own generator.
  std::mt19937_64 replay_rng_;
  ReplayBuffer replay_;
  double adaptive_prob_ = 0, adaptive_prev_loss_ = NAN;
  int64_t total_steps_ = 0, step_batch_ = 0;
  StepTimes times_;
  double on_sequences_ = 0, off_sequences_ = 0;  // this AMMD step's global counts
};

}  // namespace distill
}  // namespace amkd
