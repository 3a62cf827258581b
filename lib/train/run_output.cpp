#include "train/run_output.h"

#include <csignal>
#include <filesystem>

#include <fmt/format.h>

#include "common/atomic_write.h"
#include "common/errors.h"
#include "common/stop_signals.h"
#include "model/checkpoint.h"

namespace fs = std::filesystem;

namespace amkd {

RunOutput::RunOutput(const std::string& dir, const std::string& recipe_yaml, bool writer)
    : dir_(dir), recipe_yaml_(recipe_yaml), writer_(writer) {
  if (!writer) return;
  const fs::path root(dir);
  for (const char* marker : {"recipe.yaml", "metrics.jsonl"})
    if (fs::exists(root / marker))
      throw InputError(fmt::format(
          "{}: holds an earlier run ({} exists); choose another train.output_dir or remove it", dir,
          marker));
}

void RunOutput::start() {
  if (!writer_) return;
  const fs::path root(dir_);
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec || !fs::is_directory(root))
    throw InputError(fmt::format("{}: cannot create the output directory ({})", dir_,
                                 ec ? ec.message() : "not a directory"));
  write_file_atomic(root / "recipe.yaml", recipe_yaml_);
  metrics_.emplace((root / "metrics.jsonl").string());
  tensorboard_.emplace((root / "tensorboard").string());
}

void RunOutput::log(const nlohmann::json& row) {
  if (metrics_) metrics_->write(row);
  if (tensorboard_) tensorboard_->log(row);
}

std::string RunOutput::save(CausalLMImpl& model, const std::string& name,
                            const std::string& source_dir) {
  const std::string path = (fs::path(dir_) / name).string();
  if (!metrics_) return path;
  SaveOptions options;
  options.source_dir = source_dir;
  options.dtype = torch::kFloat32;
  options.extra_files["recipe.yaml"] = recipe_yaml_;
  save_model(model, path, options);
  return path;
}

void RunOutput::stop_if_signalled(ProcessGroup* group, int64_t step, bool saved,
                                  CausalLMImpl& model, const std::string& source_dir,
                                  std::ostream& out) {
  int signal = StopSignals::requested();
  if (group != nullptr) {
    // Any rank's request counts, and every rank picks the same signal.
    const int order[] = {SIGTERM, SIGUSR1, SIGINT};
    torch::Tensor flags = torch::zeros({3}, torch::kInt64);
    for (int i = 0; i < 3; ++i)
      if (signal == order[i]) flags[i] = 1;
    std::vector<torch::Tensor> all{flags.to(group->device())};
    group->all_reduce_sum(all);
    const torch::Tensor summed = all[0].cpu();
    signal = 0;
    for (int i = 0; i < 3 && signal == 0; ++i)
      if (summed[i].item<int64_t>() > 0) signal = order[i];
  }
  if (signal == 0) return;
  const std::string name = fmt::format("checkpoint-{}", step);
  const std::string path = saved ? (fs::path(dir_) / name).string() : save(model, name, source_dir);
  out << fmt::format("stopping on {} after step {}: the student is in {}\n", signal_name(signal),
                     step, path);
  out.flush();
  if (group != nullptr) group->barrier();  // rank 0's checkpoint is complete before anyone exits
  throw StoppedBySignal(signal);
}

}  // namespace amkd
