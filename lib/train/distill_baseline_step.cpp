// The baseline objectives' training step: one source's responses (dataset, teacher, cache,
// student samples, replay) scored by a divergence from the teacher, or by SFT's cross-entropy.
#include <algorithm>

#include "objectives/divergences.h"
#include "objectives/token_nll.h"
#include "train/autocast.h"
#include "train/distill_trainer_state.h"

namespace amkd {
namespace distill {
namespace {

// Tokens in the loss (every assistant turn of a multi-turn conversation, not later user turns).
double response_tokens(const EncodedExample& s) {
  return static_cast<double>(std::count(s.loss_mask.begin(), s.loss_mask.end(), uint8_t{1}));
}

}  // namespace

void DistillTrainer::add_sft_term(const std::vector<size_t>& idx, nlohmann::json& row) {
  if (r_.objective.sft_weight <= 0) return;
  const Sequences data = dataset_sequences(idx);
  double local = 0;
  for (const auto& s : data) local += response_tokens(s);
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
  for (const auto& s : seqs) local_tokens += response_tokens(s);
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

}  // namespace distill
}  // namespace amkd
