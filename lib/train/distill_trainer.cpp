#include "train/distill_trainer.h"

#include <fmt/format.h>

#include "common/errors.h"
#include "common/stop_signals.h"
#include "config/recipe_loader.h"
#include "dist/rank_device.h"
#include "metrics/progress.h"
#include "model/checkpoint.h"
#include "objectives/divergences.h"
#include "tokenizer/compatibility.h"
#include "train/autocast.h"
#include "train/distill_trainer_state.h"
#include "train/gradient_reduction.h"
#include "train/lr_schedule.h"
#include "train/run_output.h"
#include "train/step_sampler.h"
#include "train/training_eval.h"

namespace amkd {
namespace {

bool needs_teacher_model(const Recipe& r) {
  // Every objective but sft compares with the teacher; sft needs it only to generate (SeqKD).
  return r.objective.type != "sft" || r.rollout.source == "teacher";
}

bool uses_teacher_cache(const Recipe& r) {
  return r.objective.type == "ammd" ? r.off_policy.source == "teacher_cache"
                                    : r.rollout.source == "teacher_cache";
}

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

namespace distill {

std::vector<const EncodedExample*> pointers(const Sequences& s, size_t begin, size_t end) {
  std::vector<const EncodedExample*> out;
  for (size_t i = begin; i < end; ++i) out.push_back(&s[i]);
  return out;
}

DistillTrainer::DistillTrainer(const Recipe& recipe, std::ostream& console)
    : r_(recipe),
      console_(console),
      env_(dist_env_for(recipe.dist)),
      device_(rank_device(recipe.student.device, env_, "student.device")),
      bf16_(recipe.train.precision == "bf16" ||
            (recipe.train.precision == "auto" && torch::Device(recipe.student.device).is_cuda())),
      rng_(request_seed(static_cast<uint64_t>(recipe.train.seed), 17)),
      replay_rng_(request_seed(request_seed(static_cast<uint64_t>(recipe.train.seed), 19),
                               static_cast<uint64_t>(env_.rank))),
      replay_(static_cast<size_t>(
          std::max<int64_t>(1, recipe.rollout.replay_capacity / env_.world_size))),
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
  if (source == "replay") return replay_.draw(idx.size(), replay_rng_);
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
  const torch::Device device = device_;  // a teacher on its own GPU: its logits come here
  return [&model, rows, vocab, device](int64_t b, int64_t e) {
    return model.logits_from_hidden(rows.slice(0, b, e)).slice(1, 0, vocab).to(device);
  };
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
  group_ = connect_ranks(env_, device_, r_.dist);
  std::ostream& out = env_.rank == 0 ? console_ : muted_;  // rank 0 reports
  SetupAgreement setup(group_.get());
  check_train_recipe(r_);
  RunOutput run(train.output_dir, dump_recipe(r_), env_.rank == 0);

  tokenizer_ = load_tokenizer(r_.student.path);
  data_ = load_training_data(r_.data, *tokenizer_, static_cast<uint64_t>(train.seed), out);
  if (uses_teacher_cache(r_))
    cache_ = std::make_unique<TeacherCache>(r_.data.teacher_cache, *tokenizer_);
  pad_id_ = pad_id_of(*tokenizer_);
  BatchSampler sampler = step_sampler(data_.train, r_, env_);  // checks the batch sizes
  step_batch_ = train.batch_size * train.grad_accum;
  total_steps_ = train.max_steps > 0 ? train.max_steps : train.epochs * sampler.batches_per_epoch();

  torch::manual_seed(static_cast<uint64_t>(train.seed));
  student_ = load_model(r_.student.path, {torch::kFloat32, device_});
  student_->train();
  student_params_ = student_->parameters();
  vocab_ = student_->config().vocab_size;
  if (!r_.teacher.path.empty() && needs_teacher_model(r_)) {
    teacher_ =
        load_model(r_.teacher.path, {parse_dtype(r_.teacher.dtype, "teacher.dtype"),
                                     rank_device(r_.teacher.device, env_, "teacher.device")});
    teacher_->eval();
    for (auto& p : teacher_->parameters()) p.set_requires_grad(false);
    vocab_ = std::min({vocab_, teacher_->config().vocab_size, tokenizer_->vocab_size()});
  }
  optimizer_ = std::make_unique<Optimizer>(student_params_, r_.optim);
  if (r_.objective.type == "ammd" && r_.critic.form == "network")
    critic_ = std::make_unique<Critic>(r_.student.path, r_.critic, r_.optim, vocab_, device_);
  const GenerationSection& g = r_.generation;
  generation_.sampling = {g.greedy, g.temperature, g.top_k, g.top_p};
  generation_.max_new_tokens = g.max_new_tokens;
  generation_.eos_ids =
      end_of_sequence_ids(*tokenizer_, student_->config(),
                          PromptTemplate(r_.data.prompt_template, "data.template", *tokenizer_));
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
  setup.succeeded();

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
  const StopSignals stop;  // SIGTERM, SIGUSR1, SIGINT: checkpoint after the step, then exit
  const auto run_start = Clock::now();
  if (critic_ && r_.critic.warmup_steps > 0) {
    // Critic-only ascent on the first batches: the student's first steps then follow a critic
    // that already measures its gap instead of one that starts at f = 0.
    for (int64_t k = 0; k < r_.critic.warmup_steps; ++k) {
      times_ = {};
      nlohmann::json row = critic_warmup_step(sampler.next(), k);
      run.log(row);
      if ((k + 1) % train.log_every == 0 || k + 1 == r_.critic.warmup_steps)
        out << fmt::format("critic warm-up {}/{}: d_on {:.4f} d_off {:.4f} ({:.1f}s)\n", k + 1,
                           r_.critic.warmup_steps, row["d_on"].get<double>(),
                           row["d_off"].get<double>(), seconds_since(run_start));
    }
  }
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
    check_ranks_agree(group_.get(), r_.dist, step + 1, student_params_, "student parameters");
    if (critic_)
      check_ranks_agree(group_.get(), r_.dist, step + 1, critic_->parameters(),
                        "critic parameters");
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
    const bool save_now = train.save_every > 0 && (step + 1) % train.save_every == 0 && !last;
    if (save_now)
      out << "saved "
          << run.save(*student_, fmt::format("checkpoint-{}", step + 1), r_.student.path) << "\n";
    if (!last)
      run.stop_if_signalled(group_.get(), step + 1, save_now, *student_, r_.student.path, out);
  }
  evaluate(total_steps_);
  summary.final_dir = run.save(*student_, "final", r_.student.path);
  out << fmt::format("train done: {} steps in {}; held-out TV {:.4f} -> {:.4f}; student -> {}\n",
                     summary.steps, format_duration(seconds_since(run_start)),
                     summary.valid_tv_start, summary.valid_tv_end, summary.final_dir);
  return summary;
}

}  // namespace distill

TrainSummary run_train(const Recipe& recipe, std::ostream& console) {
  distill::DistillTrainer trainer(recipe, console);
  return trainer.run();
}

}  // namespace amkd
