#pragma once
// Held-out evaluation during training (recipe eval.every > 0): every N steps the model being
// trained samples eval.subset items of each eval.sets set with the first eval.seeds seed; the
// scores go to metrics.jsonl, and with eval.keep_best the best checkpoint so far is kept as
// OUTPUT/best.
#include <memory>
#include <ostream>
#include <vector>

#include "config/recipe.h"
#include "eval/eval_runner.h"
#include "train/run_output.h"

namespace amkd {

class TrainingEval {
 public:
  TrainingEval(const Recipe& recipe, const Tokenizer& tokenizer);
  bool enabled() const { return every_ > 0; }
  bool due(int64_t step, bool last) const { return enabled() && (step % every_ == 0 || last); }
  // Evaluates `model`, logs, and saves OUTPUT/best (from `source_dir`'s tokenizer) on a new best.
  void run(int64_t step, CausalLMImpl& model, RunOutput& output, const std::string& source_dir,
           std::ostream& console);

 private:
  const Tokenizer& tokenizer_;
  int64_t every_;
  std::string keep_best_;
  std::vector<EvalSet> sets_;
  EvalOptions options_;
  double best_ = -1;
};

}  // namespace amkd
