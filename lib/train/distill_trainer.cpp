#include "train/distill_trainer.h"

#include <chrono>
#include <random>

#include <fmt/format.h>

#include "common/errors.h"
#include "config/recipe_loader.h"
#include "data/batching.h"
#include "data/training_set.h"
#include "dist/dist_env.h"
#include "metrics/progress.h"
#include "model/checkpoint.h"
#include "objectives/ammd.h"
#include "objectives/divergences.h"
#include "objectives/token_nll.h"
#include "tokenizer/compatibility.h"
#include "train/autocast.h"
#include "train/critic.h"
#include "train/gradient_reduction.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"
#include "train/replay_buffer.h"
#include "train/rollouts.h"
#include "train/run_output.h"
#include "train/step_sampler.h"
#include "train/training_eval.h"

namespace amkd {
namespace {

using Clock = std::chrono::steady_clock;
using Sequences = std::vector<EncodedExample>;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool needs_teacher_model(const Recipe& r) {
  // Every objective but sft compares with the teacher; sft needs it only to generate (SeqKD).
  return r.objective.type != "sft" || r.rollout.source == "teacher";
}

bool uses_teacher_cache(const Recipe& r) {
  return r.objective.type == "ammd" ? r.off_policy.source == "teacher_cache"
                                    : r.rollout.source == "teacher_cache";
}

std::vector<const EncodedExample*> pointers(const Sequences& s, size_t begin, size_t end) {
  std::vector<const EncodedExample*> out;
  for (size_t i = begin; i < end; ++i) out.push_back(&s[i]);
  return out;
}

struct StepTimes {
  double generation = 0, teacher = 0, student = 0, critic = 0, optimizer = 0;
};

}  // namespace

std::vector<std::string> train_recipe_problems(const Recipe& r) {
  std::vector<std::string> problems;
  if (r.student.path.empty()) problems.push_back("student.path: the model to train is missing");
  if (r.data.train.empty()) problems.push_back("data.train: no training data given");
  if (needs_teacher_model(r) && r.teacher.path.empty())
    problems.push_back(
        fmt::format("teacher.path: objective.type {}{} needs a teacher", r.objective.type,
                    r.objective.type == "sft" ? " with rollout.source teacher" : ""));
  if (uses_teacher_cache(r) && r.data.teacher_cache.empty())
    problems.push_back("data.teacher_cache: the teacher_cache source needs the cache file");
  if (r.objective.type == "ammd" && r.critic.l2 == 0)
    problems.push_back(
        "critic.l2: 0 lets the game oscillate (see AMMD.md); use a positive penalty");
  if (r.rollout.source == "adaptive" && r.data.valid.empty() && r.data.valid_size == 0)
    problems.push_back(
        "rollout.source adaptive: needs a validation set (data.valid or data.valid_size)");
  if (r.student.dtype != "fp32")
    problems.push_back(fmt::format(
        "student.dtype: the student keeps fp32 weights (found {}); set train.precision: bf16 for "
        "mixed precision",
        r.student.dtype));
  return problems;
}

void check_train_recipe(const Recipe& r) {
  const std::vector<std::string> problems = train_recipe_problems(r);
  if (!problems.empty()) {
    std::string msg = "the recipe cannot be trained:";
    for (const auto& p : problems) msg += "\n  " + p;
    throw InputError(msg);
  }
  if (r.teacher.path.empty()) return;
  const auto teacher_tok = load_tokenizer(r.teacher.path);
  const auto student_tok = load_tokenizer(r.student.path);
  const CompatReport report = check_compatibility(
      {"teacher", teacher_tok.get(), load_model_config(r.teacher.path).vocab_size},
      {"student", student_tok.get(), load_model_config(r.student.path).vocab_size},
      PromptTemplate(r.data.prompt_template, "data.template"));
  if (!report.ok())
    throw InputError(
        "teacher and student cannot be distilled together (amkd check shows the "
        "details):\n" +
        report.format());
}

namespace {

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
  nlohmann::json baseline_step(const std::vector<size_t>& idx, int64_t step);
  nlohmann::json ammd_step(const std::vector<size_t>& idx, int64_t step);
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
  std::mt19937_64 rng_;
  ReplayBuffer replay_;
  double adaptive_prob_ = 0, adaptive_prev_loss_ = NAN;
  int64_t total_steps_ = 0, step_batch_ = 0;
  StepTimes times_;
};

DistillTrainer::DistillTrainer(const Recipe& recipe, std::ostream& console)
    : r_(recipe),
      console_(console),
      env_(discover_dist_env()),
      device_(recipe.student.device),
      bf16_(recipe.train.precision == "bf16" ||
            (recipe.train.precision == "auto" && torch::Device(recipe.student.device).is_cuda())),
      rng_(request_seed(static_cast<uint64_t>(recipe.train.seed), 17)),
      replay_(static_cast<size_t>(recipe.rollout.replay_capacity)),
      adaptive_prob_(recipe.rollout.adaptive_init_prob) {}

Sequences DistillTrainer::dataset_sequences(const std::vector<size_t>& idx) const {
  Sequences s;
  for (size_t i : idx) s.push_back(data_.train.examples[i]);
  return s;
}

Sequences DistillTrainer::generated(CausalLM& model, const std::vector<size_t>& idx, int64_t step,
                                    uint64_t salt) {
  const auto start = Clock::now();
  std::vector<const EncodedExample*> prompts;
  std::vector<uint64_t> seeds;
  for (size_t k = 0; k < idx.size(); ++k) {
    prompts.push_back(&data_.train.examples[idx[k]]);
    seeds.push_back(request_seed(request_seed(static_cast<uint64_t>(r_.train.seed), salt),
                                 static_cast<uint64_t>(step) * 1000003ULL + idx[k]));
  }
  Sequences s;
  for (size_t b = 0; b < prompts.size(); b += static_cast<size_t>(r_.generation.batch_size)) {
    const size_t e = std::min(prompts.size(), b + static_cast<size_t>(r_.generation.batch_size));
    auto part =
        sample_responses(*model, {prompts.begin() + b, prompts.begin() + e},
                         {seeds.begin() + b, seeds.begin() + e}, generation_, r_.data.max_length);
    for (auto& x : part) s.push_back(std::move(x));
  }
  times_.generation += seconds_since(start);
  return s;
}

Sequences DistillTrainer::cached(const std::vector<size_t>& idx) const {
  Sequences s;
  for (size_t i : idx)
    s.push_back(cache_->sequence(data_.train.ids[i], data_.train.examples[i], r_.data.max_length));
  return s;
}

Sequences DistillTrainer::rollout(const std::string& source, const std::vector<size_t>& idx,
                                  int64_t step, uint64_t salt) {
  if (source == "dataset") return dataset_sequences(idx);
  if (source == "teacher") return generated(teacher_, idx, step, salt);
  if (source == "teacher_cache") return cached(idx);
  if (source == "student") return generated(student_, idx, step, salt);
  if (source == "replay") return replay_.draw(idx.size(), rng_);
  throw std::logic_error("rollout: unknown source " + source);
}

// The source of this step's responses for the baselines (GKD's mixing, DistiLLM's schedule).
std::string DistillTrainer::choose_source(int64_t step) {
  const std::string& s = r_.rollout.source;
  if (s == "mixed") {
    return std::uniform_real_distribution<double>(0, 1)(rng_) < r_.rollout.on_policy_prob
               ? "student"
               : "dataset";
  }
  if (s != "adaptive") return s;
  // DistiLLM: fresh student outputs with probability adaptive_prob * (1 - progress) (always
  // while the buffer is filling), replayed ones up to adaptive_prob, else the dataset.
  const double draw = std::uniform_real_distribution<double>(0, 1)(rng_);
  const double fresh = adaptive_prob_ * (1.0 - static_cast<double>(step) / total_steps_);
  const bool filling = replay_.size() < replay_.capacity();
  if (draw < fresh || (draw < adaptive_prob_ && filling)) return "student";
  if (draw < adaptive_prob_ && replay_.size() >= static_cast<size_t>(step_batch_)) return "replay";
  if (draw < adaptive_prob_) return "student";
  return "dataset";
}

double DistillTrainer::global_sum(double local) {
  if (!group_) return local;
  std::vector<torch::Tensor> t{torch::tensor({local}, torch::kFloat64).to(device_)};
  group_->all_reduce_sum(t);
  return t[0].cpu().item<double>();
}

torch::Tensor DistillTrainer::hidden_rows(CausalLMImpl& model, const TrainBatch& batch, bool grad) {
  std::optional<torch::NoGradGuard> no_grad;
  if (!grad) no_grad.emplace();
  const auto dev = model.parameters().front().device();
  return model.hidden_states(batch.input_ids.to(dev)).index({batch.target_mask.to(dev)});
}

LogitsFn DistillTrainer::head(CausalLMImpl& model, torch::Tensor rows) const {
  const int64_t vocab = vocab_;
  return [&model, rows, vocab](int64_t b, int64_t e) {
    return model.logits_from_hidden(rows.slice(0, b, e)).slice(1, 0, vocab);
  };
}

void DistillTrainer::add_sft_term(const std::vector<size_t>& idx, nlohmann::json& row) {
  if (r_.objective.sft_weight <= 0) return;
  const Sequences data = dataset_sequences(idx);
  double local = 0;
  for (const auto& s : data) local += static_cast<double>(s.ids.size() - s.prompt_length);
  const double global_tokens = global_sum(local);
  double sum = 0;
  for (size_t b = 0; b < data.size(); b += static_cast<size_t>(r_.train.batch_size)) {
    const size_t e = std::min(data.size(), b + static_cast<size_t>(r_.train.batch_size));
    const TrainBatch batch = collate_training_batch(pointers(data, b, e), pad_id_);
    AutocastScope autocast(bf16_, device_.type(), torch::kBFloat16);
    const LossSum nll = response_nll(*student_, batch);
    (nll.sum * (r_.objective.sft_weight / global_tokens)).backward();
    sum += nll.sum.item<double>();
  }
  row["l_sft"] = global_sum(sum) / global_tokens;
}

nlohmann::json DistillTrainer::baseline_step(const std::vector<size_t>& idx, int64_t step) {
  const std::string source = choose_source(step);
  const Sequences seqs = rollout(source, idx, step, 1);
  if (source == "student" && r_.rollout.source == "adaptive")
    for (const auto& s : seqs) replay_.add(s);
  double local_tokens = 0;
  for (const auto& s : seqs)
    local_tokens += static_cast<double>(s.ids.size()) - static_cast<double>(s.prompt_length);
  const double tokens = global_sum(local_tokens);
  const bool sft = r_.objective.type == "sft";
  const auto kind = divergence_named(r_.objective.type);
  const DivergenceParams params{r_.objective.beta, r_.objective.skew};
  double loss = 0, tv = 0;
  for (size_t b = 0; b < seqs.size(); b += static_cast<size_t>(r_.train.batch_size)) {
    const size_t e = std::min(seqs.size(), b + static_cast<size_t>(r_.train.batch_size));
    const TrainBatch batch = collate_training_batch(pointers(seqs, b, e), pad_id_);
    AutocastScope autocast(bf16_, device_.type(), torch::kBFloat16);
    if (sft) {
      auto start = Clock::now();
      const LossSum nll = response_nll(*student_, batch);
      (nll.sum / tokens).backward();
      loss += nll.sum.item<double>() / tokens;
      times_.student += seconds_since(start);
      continue;
    }
    auto start = Clock::now();
    const torch::Tensor teacher_rows = hidden_rows(*teacher_, batch, false);
    times_.teacher += seconds_since(start);
    start = Clock::now();
    ChunkedLeaf student_rows(hidden_rows(*student_, batch, true));
    const LogitsFn t = head(*teacher_, teacher_rows), s = head(*student_, student_rows.leaf());
    loss += sum_over_chunks(teacher_rows.size(0), r_.objective.chunk_positions, true,
                            [&](int64_t cb, int64_t ce) {
                              const torch::Tensor tl = t(cb, ce).detach(), sl = s(cb, ce);
                              tv += total_variation(tl, sl.detach()).sum().item<double>();
                              return divergence(*kind, tl, sl, params).sum() / tokens;
                            });
    student_rows.finish();
    times_.student += seconds_since(start);
  }
  nlohmann::json row = {{"source", source}, {"loss", global_sum(loss)}, {"tokens", tokens}};
  add_sft_term(idx, row);
  if (!sft) row["tv"] = global_sum(tv) / tokens;
  if (r_.rollout.source == "adaptive") row["student_prob"] = adaptive_prob_;
  return row;
}

nlohmann::json DistillTrainer::ammd_step(const std::vector<size_t>& idx, int64_t step) {
  const Sequences on = generated(student_, idx, step, 2);
  const Sequences off = rollout(r_.off_policy.source, idx, step, 3);
  AmmdParams params;
  params.beta = r_.objective.beta;
  params.l2 = r_.critic.l2;
  params.scale = r_.critic.scale;
  params.exact_teacher_expectation = r_.objective.teacher_expectation == "exact";
  params.policy_gradient = r_.policy_gradient.enabled;
  params.batch_mean_baseline = r_.policy_gradient.baseline == "batch_mean";
  const double on_sequences = global_sum(static_cast<double>(on.size()));
  const double off_sequences = global_sum(static_cast<double>(off.size()));

  // Per micro-batch: batches, and the teacher's and student's hidden rows (fixed this step).
  struct Micro {
    TrainBatch on, off;
    torch::Tensor teacher_on, teacher_off, student_on, student_off;
  };
  std::vector<Micro> micro;
  for (size_t b = 0; b < on.size(); b += static_cast<size_t>(r_.train.batch_size)) {
    const size_t e = std::min(on.size(), b + static_cast<size_t>(r_.train.batch_size));
    Micro m{collate_training_batch(pointers(on, b, e), pad_id_),
            collate_training_batch(pointers(off, b, e), pad_id_)};
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
  auto side = [&](const TrainBatch& batch, const torch::Tensor& teacher_rows, LogitsFn student,
                  LogitsFn critic, double sequences) {
    AmmdSide s;
    s.positions = response_positions(batch.target_mask, batch.targets);
    s.teacher = head(*teacher_, teacher_rows);
    s.student = std::move(student);
    s.critic = std::move(critic);
    s.global_sequences = sequences;
    return s;
  };
  auto critic_head = [&](bool off_policy, torch::Tensor rows) -> LogitsFn {
    return [this, off_policy, rows](int64_t b, int64_t e) {
      return critic_->head(off_policy, rows.slice(0, b, e));
    };
  };

  // Critic: critic.steps ascent steps with teacher and student fixed.
  const auto critic_start = Clock::now();
  AmmdCriticResult critic_result;
  double critic_norm = 0;
  for (int64_t k = 0; k < r_.critic.steps; ++k) {
    critic_->optimizer().zero_grad();
    critic_result = {};
    for (Micro& m : micro) {
      AutocastScope autocast(bf16_, device_.type(), torch::kBFloat16);
      ChunkedLeaf c_on(
          critic_->hidden(false, m.on.input_ids.to(device_)).index({m.on.target_mask.to(device_)}));
      ChunkedLeaf c_off(critic_->hidden(true, m.off.input_ids.to(device_))
                            .index({m.off.target_mask.to(device_)}));
      const AmmdCriticResult part =
          ammd_critic_backward(side(m.on, m.teacher_on, head(*student_, m.student_on),
                                    critic_head(false, c_on.leaf()), on_sequences),
                               side(m.off, m.teacher_off, head(*student_, m.student_off),
                                    critic_head(true, c_off.leaf()), off_sequences),
                               params, r_.objective.chunk_positions);
      c_on.finish();
      c_off.finish();
      critic_result.objective += part.objective;
      critic_result.d_on += part.d_on;
      critic_result.d_off += part.d_off;
    }
    reduce_gradients(critic_->parameters(), {}, group_.get());
    critic_norm = critic_->optimizer().step(critic_->learning_rate());
  }
  times_.critic += seconds_since(critic_start);

  // Student: the loss terms with the updated critic detached.
  AmmdStudentResult total;
  double positions = 0;
  for (Micro& m : micro) {
    AutocastScope autocast(bf16_, device_.type(), torch::kBFloat16);
    auto start = Clock::now();
    torch::Tensor c_on, c_off;
    {
      torch::NoGradGuard no_grad;
      c_on =
          critic_->hidden(false, m.on.input_ids.to(device_)).index({m.on.target_mask.to(device_)});
      c_off =
          critic_->hidden(true, m.off.input_ids.to(device_)).index({m.off.target_mask.to(device_)});
    }
    times_.critic += seconds_since(start);
    start = Clock::now();
    ChunkedLeaf s_on(hidden_rows(*student_, m.on, true));
    ChunkedLeaf s_off(hidden_rows(*student_, m.off, true));
    const AmmdStudentResult part =
        ammd_student_backward(side(m.on, m.teacher_on, head(*student_, s_on.leaf()),
                                   critic_head(false, c_on), on_sequences),
                              side(m.off, m.teacher_off, head(*student_, s_off.leaf()),
                                   critic_head(true, c_off), off_sequences),
                              params, r_.objective.chunk_positions);
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
                        {"critic_objective", global_sum(critic_result.objective)},
                        {"critic_loss", -global_sum(critic_result.objective)},
                        {"tv", global_sum(total.tv_sum) / positions},
                        {"mean_abs_f", global_sum(total.abs_f_sum) / positions},
                        {"critic_lr", critic_->learning_rate()},
                        {"critic_grad_norm", critic_norm}};
  add_sft_term(idx, row);
  return row;
}

std::pair<double, double> DistillTrainer::validate() {
  torch::NoGradGuard no_grad;
  double tv = 0, nll = 0, count = 0;
  const Sequences& valid = data_.valid.examples;
  const int rank = env_.rank, world = env_.world_size;
  const auto bs = static_cast<size_t>(r_.train.batch_size);
  for (size_t b = static_cast<size_t>(rank) * bs; b < valid.size(); b += bs * world) {
    const size_t e = std::min(valid.size(), b + bs);
    const TrainBatch batch = collate_training_batch(pointers(valid, b, e), pad_id_);
    AutocastScope autocast(bf16_, device_.type(), torch::kBFloat16);
    const torch::Tensor s_rows = hidden_rows(*student_, batch, false);
    const LogitsFn s = head(*student_, s_rows);
    const torch::Tensor targets = batch.targets.index({batch.target_mask}).to(device_);
    std::optional<LogitsFn> t;
    torch::Tensor t_rows;
    if (teacher_) {
      t_rows = hidden_rows(*teacher_, batch, false);
      t = head(*teacher_, t_rows);
    }
    sum_over_chunks(s_rows.size(0), r_.objective.chunk_positions, false,
                    [&](int64_t cb, int64_t ce) {
                      const torch::Tensor sl = s(cb, ce);
                      nll -= safe_log_softmax(sl)
                                 .gather(1, targets.slice(0, cb, ce).unsqueeze(1))
                                 .sum()
                                 .item<double>();
                      if (t) tv += total_variation((*t)(cb, ce), sl).sum().item<double>();
                      return torch::zeros({});
                    });
    count += static_cast<double>(s_rows.size(0));
  }
  count = global_sum(count);
  return {teacher_ ? global_sum(tv) / count : NAN, global_sum(nll) / count};
}

TrainSummary DistillTrainer::run() {
  const TrainSection& train = r_.train;
  if (env_.world_size > 1) group_ = ProcessGroup::create(env_, device_);
  std::ostream& out = env_.rank == 0 ? console_ : muted_;  // rank 0 reports
  check_train_recipe(r_);
  RunOutput run(train.output_dir, dump_recipe(r_), env_.rank == 0);

  tokenizer_ = load_tokenizer(r_.student.path);
  data_ = load_training_data(r_.data, *tokenizer_, static_cast<uint64_t>(train.seed), out);
  if (uses_teacher_cache(r_))
    cache_ = std::make_unique<TeacherCache>(r_.data.teacher_cache, *tokenizer_);
  const SpecialTokens& special = tokenizer_->special();
  pad_id_ = pad_id_of(*tokenizer_);
  step_batch_ = train.batch_size * train.grad_accum;
  BatchSampler sampler = step_sampler(data_.train, r_, env_);
  total_steps_ = train.max_steps > 0 ? train.max_steps : train.epochs * sampler.batches_per_epoch();

  torch::manual_seed(static_cast<uint64_t>(train.seed));
  student_ = load_model(r_.student.path, {torch::kFloat32, device_});
  student_->train();
  student_params_ = student_->parameters();
  vocab_ = student_->config().vocab_size;
  if (!r_.teacher.path.empty() && needs_teacher_model(r_)) {
    teacher_ = load_model(r_.teacher.path, {parse_dtype(r_.teacher.dtype, "teacher.dtype"),
                                            torch::Device(r_.teacher.device)});
    teacher_->eval();
    for (auto& p : teacher_->parameters()) p.set_requires_grad(false);
    vocab_ = std::min({vocab_, teacher_->config().vocab_size, tokenizer_->vocab_size()});
  }
  optimizer_ = std::make_unique<Optimizer>(student_params_, r_.optim);
  if (r_.objective.type == "ammd")
    critic_ = std::make_unique<Critic>(r_.student.path, r_.critic, r_.optim, vocab_, device_);
  const GenerationSection& g = r_.generation;
  generation_.sampling = {g.greedy, g.temperature, g.top_k, g.top_p};
  generation_.max_new_tokens = g.max_new_tokens;
  generation_.eos_ids = end_of_sequence_ids(*tokenizer_, student_->config());
  generation_.pad_id = pad_id_;
  generation_.valid_vocab = vocab_;

  out << fmt::format(
      "train: objective {}{}, {} steps of {} sequences ({} x {} accumulation x {} rank(s)), {} "
      "on {}\n",
      r_.objective.type,
      r_.objective.type == "ammd" ? " (off-policy: " + r_.off_policy.source + ")"
                                  : " (responses: " + r_.rollout.source + ")",
      total_steps_, step_batch_ * env_.world_size, train.batch_size, train.grad_accum,
      env_.world_size, bf16_ ? "bf16 autocast" : "fp32", device_.str());

  TrainingEval held_out(r_, *tokenizer_);
  run.start();
  TrainSummary summary;
  auto evaluate = [&](int64_t step) {
    if (data_.valid.examples.empty()) return;
    const auto start = Clock::now();
    const auto [tv, nll] = validate();
    if (step == 0) summary.valid_tv_start = tv;
    summary.valid_tv_end = tv;
    if (r_.rollout.source == "adaptive") {  // DistiLLM: more student outputs when loss rises
      if (std::isnan(adaptive_prev_loss_)) {
        adaptive_prev_loss_ = nll;
      } else if (nll >= adaptive_prev_loss_ + r_.rollout.adaptive_loss_eps) {
        adaptive_prob_ = std::min(1.0, adaptive_prob_ + 0.1);
        adaptive_prev_loss_ = nll;
      }
    }
    nlohmann::json row = {{"step", step}, {"valid_nll", nll}};
    if (!std::isnan(tv)) row["valid_tv"] = tv;
    run.log(row);
    out << fmt::format(
        "step {}: held-out TV(teacher, student) {:.4f}, student NLL {:.4f} ({:.1f}s)\n", step, tv,
        nll, seconds_since(start));
  };
  evaluate(0);
  const int64_t eval_every = train.eval_every > 0              ? train.eval_every
                             : r_.rollout.source == "adaptive" ? sampler.batches_per_epoch()
                                                               : 0;
  const auto run_start = Clock::now();
  for (int64_t step = 0; step < total_steps_; ++step) {
    const auto step_start = Clock::now();
    times_ = {};
    const std::vector<size_t> idx = sampler.next();
    optimizer_->zero_grad();
    nlohmann::json row =
        r_.objective.type == "ammd" ? ammd_step(idx, step) : baseline_step(idx, step);
    auto start = Clock::now();
    reduce_gradients(student_params_, {}, group_.get());
    const double lr = learning_rate_at(r_.schedule, r_.optim.lr, step, total_steps_);
    row["grad_norm"] = optimizer_->step(lr);
    times_.optimizer += seconds_since(start);
    int64_t tokens = 0;
    for (size_t i : idx) tokens += static_cast<int64_t>(data_.train.examples[i].ids.size());
    const double step_s = seconds_since(step_start);
    row["step"] = step + 1;
    row["epoch"] = static_cast<double>(step + 1) / static_cast<double>(sampler.batches_per_epoch());
    row["lr"] = lr;
    row["tokens_per_s"] = static_cast<double>(tokens * env_.world_size) / std::max(step_s, 1e-9);
    row["time_s"] = {{"step", step_s},
                     {"generation", times_.generation},
                     {"teacher", times_.teacher},
                     {"student", times_.student},
                     {"critic", times_.critic},
                     {"optimizer", times_.optimizer}};
    run.log(row);
    summary.steps = step + 1;
    const bool last = step + 1 == total_steps_;
    if ((step + 1) % train.log_every == 0 || last) {
      const double elapsed = seconds_since(run_start);
      std::string terms = fmt::format("loss {:.4f}", row["loss"].get<double>());
      if (row.contains("d_on"))
        terms += fmt::format(" d_on {:.4f} d_off {:.4f}", row["d_on"].get<double>(),
                             row["d_off"].get<double>());
      if (row.contains("tv")) terms += fmt::format(" tv {:.4f}", row["tv"].get<double>());
      if (row.contains("l_sft")) terms += fmt::format(" l_sft {:.3f}", row["l_sft"].get<double>());
      out << fmt::format("step {}/{} {} lr {:.3e} {:.1f}s/step elapsed {} eta {}\n", step + 1,
                         total_steps_, terms, lr, step_s, format_duration(elapsed),
                         format_duration(elapsed / (step + 1) * (total_steps_ - step - 1)));
    }
    if (eval_every > 0 && (step + 1) % eval_every == 0 && !last) evaluate(step + 1);
    if (held_out.due(step + 1, last)) held_out.run(step + 1, *student_, run, r_.student.path, out);
    if (train.save_every > 0 && (step + 1) % train.save_every == 0 && !last)
      out << "saved "
          << run.save(*student_, fmt::format("checkpoint-{}", step + 1), r_.student.path) << "\n";
  }
  evaluate(total_steps_);
  summary.final_dir = run.save(*student_, "final", r_.student.path);
  out << fmt::format("train done: {} steps in {}; held-out TV {:.4f} -> {:.4f}; student -> {}\n",
                     summary.steps, format_duration(seconds_since(run_start)),
                     summary.valid_tv_start, summary.valid_tv_end, summary.final_dir);
  return summary;
}

}  // namespace

TrainSummary run_train(const Recipe& recipe, std::ostream& console) {
  DistillTrainer trainer(recipe, console);
  return trainer.run();
}

}  // namespace amkd
