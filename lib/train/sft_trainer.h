#pragma once
// `amkd sft`: supervised fine-tuning of recipe.model on data.train with the response NLL.
// AdamW, warm-up + schedule, clipping, gradient accumulation over (sum, count) losses,
// validation loss, checkpoints and metrics.jsonl in train.output_dir.
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "config/recipe.h"
#include "data/training_set.h"
#include "model/decoder.h"
#include "train/gradient_reduction.h"

namespace amkd {

struct SftSummary {
  int64_t steps = 0;
  double train_loss = NAN;  // of the last step
  double valid_loss = NAN;  // at the end; NaN without a validation set
  std::string final_dir;
};

SftSummary run_sft(const Recipe& recipe, std::ostream& console);

// Backpropagates the response NLL *sum* of `examples`, taken in micro-batches of
// `micro_batch_size`, into the model's gradients (added to what is there); returns the sums.
// Dividing the gradients by the returned count (reduce_gradients) gives the mean's gradient
// whatever the micro-batch size.
StepTotals accumulate_nll_gradients(CausalLMImpl& model,
                                    const std::vector<const EncodedExample*>& examples,
                                    int64_t micro_batch_size, int64_t pad_id,
                                    bool bf16_autocast = false);

// Mean response NLL over a set, without gradients (sums over `rank`'s share, all-reduced).
double mean_nll(CausalLMImpl& model, const std::vector<const EncodedExample*>& examples,
                int64_t batch_size, int64_t pad_id, bool bf16_autocast,
                ProcessGroup* group = nullptr);

}  // namespace amkd
