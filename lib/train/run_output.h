#pragma once
// The output directory of a training run: recipe.yaml (the resolved recipe), metrics.jsonl and
// the same values as TensorBoard scalars in tensorboard/, checkpoint-STEP/ every
// train.save_every steps and final/ at the end. Each checkpoint is a
// Hugging Face model directory (with the tokenizer and the recipe) written atomically.
#include <optional>
#include <ostream>
#include <string>

#include "dist/process_group.h"
#include "metrics/metrics_jsonl.h"
#include "metrics/tensorboard_events.h"
#include "model/decoder.h"

namespace amkd {

class RunOutput {
 public:
  // Refuses a directory that already holds a run (recipe.yaml or metrics.jsonl), so an earlier
  // run is never overwritten. Nothing is written yet: a run that fails while loading leaves no
  // trace. `writer` is false on ranks other than 0: they write nothing.
  RunOutput(const std::string& dir, const std::string& recipe_yaml, bool writer = true);
  // Creates the directory, recipe.yaml and metrics.jsonl: call when training starts.
  void start();

  void log(const nlohmann::json& row);
  // Saves `model` (fp32) as DIR/name with tokenizer files from `source_dir`; returns the path.
  std::string save(CausalLMImpl& model, const std::string& name, const std::string& source_dir);
  const std::string& dir() const { return dir_; }

  // After a step: when a stop signal (common/stop_signals.h) arrived on any rank, every rank
  // stops here at the same step: rank 0 saves checkpoint-STEP (unless `saved` says this step's
  // checkpoint exists) and reports, then StoppedBySignal is thrown. `group` may be null.
  void stop_if_signalled(ProcessGroup* group, int64_t step, bool saved, CausalLMImpl& model,
                         const std::string& source_dir, std::ostream& out);

 private:
  std::string dir_, recipe_yaml_;
  bool writer_;
  std::optional<MetricsJsonl> metrics_;
  std::optional<TensorBoardWriter> tensorboard_;
};

}  // namespace amkd
