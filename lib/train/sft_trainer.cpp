#include "train/sft_trainer.h"

#include <chrono>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/stop_signals.h"
#include "config/recipe_loader.h"
#include "data/batching.h"
#include "dist/dist_env.h"
#include "dist/rank_device.h"
#include "metrics/progress.h"
#include "model/checkpoint.h"
#include "objectives/token_nll.h"
#include "tokenizer/tokenizer.h"
#include "train/autocast.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"
#include "train/run_output.h"
#include "train/step_sampler.h"
#include "train/training_eval.h"

namespace amkd {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<const EncodedExample*> pointers(const EncodedSet& set,
                                            const std::vector<size_t>& indices) {
  std::vector<const EncodedExample*> out;
  for (size_t i : indices) out.push_back(&set.examples[i]);
  return out;
}

}  // namespace

StepTotals accumulate_nll_gradients(CausalLMImpl& model,
                                    const std::vector<const EncodedExample*>& examples,
                                    int64_t micro_batch_size, int64_t pad_id, bool bf16_autocast) {
  StepTotals totals;
  const auto device = model.parameters().front().device().type();
  for (size_t start = 0; start < examples.size(); start += static_cast<size_t>(micro_batch_size)) {
    const size_t end = std::min(examples.size(), start + static_cast<size_t>(micro_batch_size));
    const TrainBatch batch =
        collate_training_batch({examples.begin() + start, examples.begin() + end}, pad_id);
    LossSum loss;
    {
      AutocastScope autocast(bf16_autocast, device, torch::kBFloat16);
      loss = response_nll(model, batch);
    }
    loss.sum.backward();
    totals.loss_sum += loss.sum.item<double>();
    totals.count += static_cast<double>(loss.count);
  }
  return totals;
}

double mean_nll(CausalLMImpl& model, const std::vector<const EncodedExample*>& examples,
                int64_t batch_size, int64_t pad_id, bool bf16_autocast, ProcessGroup* group) {
  torch::NoGradGuard no_grad;
  const int rank = group ? group->rank() : 0, world = group ? group->world_size() : 1;
  const auto device = model.parameters().front().device();
  double sum = 0, count = 0;
  for (size_t start = static_cast<size_t>(rank * batch_size); start < examples.size();
       start += static_cast<size_t>(batch_size * world)) {
    const size_t end = std::min(examples.size(), start + static_cast<size_t>(batch_size));
    const TrainBatch batch =
        collate_training_batch({examples.begin() + start, examples.begin() + end}, pad_id);
    AutocastScope autocast(bf16_autocast, device.type(), torch::kBFloat16);
    const LossSum loss = response_nll(model, batch);
    sum += loss.sum.item<double>();
    count += static_cast<double>(loss.count);
  }
  if (group && world > 1) {
    std::vector<torch::Tensor> t{torch::tensor({sum, count}, torch::kFloat64).to(device)};
    group->all_reduce_sum(t);
    const auto c = t[0].cpu();
    sum = c[0].item<double>();
    count = c[1].item<double>();
  }
  return count > 0 ? sum / count : NAN;
}

SftSummary run_sft(const Recipe& recipe, std::ostream& console) {
  const ModelSection& m = recipe.model;
  const TrainSection& train = recipe.train;
  if (m.path.empty())
    throw InputError("model.path: sft needs the model to fine-tune (--model DIR)");
  if (m.dtype != "fp32")
    throw InputError(
        fmt::format("model.dtype: sft keeps fp32 weights (found {}); for mixed precision set "
                    "train.precision: bf16",
                    m.dtype));
  const DistEnv env = dist_env_for(recipe.dist);
  const torch::Device device = rank_device(m.device, env, "model.device");
  const bool bf16 = train.precision == "bf16" || (train.precision == "auto" && device.is_cuda());

  const std::unique_ptr<ProcessGroup> group = connect_ranks(env, device, recipe.dist);
  const bool writer = env.rank == 0;
  std::ostringstream muted;
  std::ostream& out = writer ? console : muted;

  SetupAgreement setup(group.get());
  RunOutput run(train.output_dir, dump_recipe(recipe), writer);
  const auto tokenizer = load_tokenizer(m.path);
  const TrainingData data =
      load_training_data(recipe.data, *tokenizer, static_cast<uint64_t>(train.seed), out);
  const int64_t pad_id = pad_id_of(*tokenizer);
  BatchSampler sampler = step_sampler(data.train, recipe, env);    // checks the batch sizes
  const int64_t step_batch = train.batch_size * train.grad_accum;  // per rank
  const int64_t total_steps =
      train.max_steps > 0 ? train.max_steps : train.epochs * sampler.batches_per_epoch();
  std::vector<const EncodedExample*> valid;
  for (const auto& e : data.valid.examples) valid.push_back(&e);

  torch::manual_seed(static_cast<uint64_t>(train.seed));
  CausalLM model = load_model(m.path, {torch::kFloat32, device});
  model->train();
  const std::vector<torch::Tensor> parameters = model->parameters();
  Optimizer optimizer(parameters, recipe.optim);
  out << fmt::format(
      "sft: {} steps of {} sequences ({} x {} accumulation x {} rank(s)), {} per epoch, {} on "
      "{}\n",
      total_steps, step_batch * env.world_size, train.batch_size, train.grad_accum, env.world_size,
      sampler.batches_per_epoch(), bf16 ? "bf16 autocast" : "fp32", device.str());
  setup.succeeded();

  TrainingEval held_out(recipe, *tokenizer);
  run.start();
  SftSummary summary;
  auto validate = [&](int64_t step) {
    if (valid.empty()) return;
    const auto start = Clock::now();
    summary.valid_loss = mean_nll(*model, valid, train.batch_size, pad_id, bf16, group.get());
    model->train();
    run.log({{"step", step}, {"valid_loss", summary.valid_loss}});
    out << fmt::format("step {}: valid loss {:.4f} ({} examples, {:.1f}s)\n", step,
                       summary.valid_loss, valid.size(),
                       std::chrono::duration<double>(Clock::now() - start).count());
  };

  const StopSignals stop;  // SIGTERM, SIGUSR1, SIGINT: checkpoint after the step, then exit
  const auto run_start = Clock::now();
  auto window_start = run_start;
  int64_t window_tokens = 0;
  for (int64_t step = 0; step < total_steps; ++step) {
    const auto batch = pointers(data.train, sampler.next());
    const double epoch =
        static_cast<double>(step + 1) / static_cast<double>(sampler.batches_per_epoch());
    optimizer.zero_grad();
    const StepTotals local =
        accumulate_nll_gradients(*model, batch, train.batch_size, pad_id, bf16);
    const StepTotals total = reduce_gradients(parameters, local, group.get());
    const double lr = learning_rate_at(recipe.schedule, recipe.optim.lr, step, total_steps);
    const double grad_norm = optimizer.step(lr);
    check_ranks_agree(group.get(), recipe.dist, step + 1, parameters, "student parameters");
    summary.steps = step + 1;
    summary.train_loss = total.count > 0 ? total.loss_sum / total.count : NAN;
    for (const auto* e : batch) window_tokens += static_cast<int64_t>(e->ids.size());

    const auto now = Clock::now();
    const double window_s = std::chrono::duration<double>(now - window_start).count();
    const double elapsed = std::chrono::duration<double>(now - run_start).count();
    const double tokens_per_s = window_tokens * env.world_size / std::max(window_s, 1e-9);
    run.log({{"step", step + 1},
             {"epoch", epoch},
             {"loss", summary.train_loss},
             {"tokens", total.count},
             {"lr", lr},
             {"grad_norm", grad_norm},
             {"tokens_per_s", tokens_per_s}});
    if ((step + 1) % train.log_every == 0 || step + 1 == total_steps) {
      out << fmt::format(
          "step {}/{} epoch {:.2f} loss {:.4f} lr {:.3e} grad-norm {:.3f} {:.0f} tok/s elapsed {} "
          "eta "
          "{}\n",
          step + 1, total_steps, epoch, summary.train_loss, lr, grad_norm, tokens_per_s,
          format_duration(elapsed),
          format_duration(elapsed / (step + 1) * (total_steps - step - 1)));
      window_start = now;
      window_tokens = 0;
    }
    const bool last = step + 1 == total_steps;
    if (train.eval_every > 0 && (step + 1) % train.eval_every == 0 && !last) validate(step + 1);
    if (held_out.due(step + 1, last)) held_out.run(step + 1, *model, run, m.path, out);
    const bool save_now = train.save_every > 0 && (step + 1) % train.save_every == 0 && !last;
    if (save_now)
      out << "saved " << run.save(*model, fmt::format("checkpoint-{}", step + 1), m.path) << "\n";
    if (!last) run.stop_if_signalled(group.get(), step + 1, save_now, *model, m.path, out);
  }
  validate(total_steps);
  summary.final_dir = run.save(*model, "final", m.path);
  if (group) group->barrier();  // other ranks may read final/ next (an SFT stage)
  out << fmt::format(
      "sft done: {} steps in {}, final train loss {:.4f} -> {}\n", summary.steps,
      format_duration(std::chrono::duration<double>(Clock::now() - run_start).count()),
      summary.train_loss, summary.final_dir);
  return summary;
}

}  // namespace amkd
