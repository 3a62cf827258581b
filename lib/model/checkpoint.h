#pragma once
// Hugging Face checkpoint directories: config.json + model.safetensors (or shards with
// model.safetensors.index.json) + generation_config.json + tokenizer files.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "model/decoder.h"

namespace amkd {

struct LoadOptions {
  torch::ScalarType dtype = torch::kFloat32;
  torch::Device device = torch::kCPU;
  int64_t keep_layers = 0;  // > 0: only the first layers (the rest of the checkpoint is ignored)
};

// Loads DIR into a model with the requested dtype/device (stored fp32/fp16/bf16 converted).
// Throws InputError naming the directory and every missing, unexpected or mis-shaped tensor.
CausalLM load_model(const std::string& dir, const LoadOptions& options = {});

// What the weight files of DIR hold, without loading them.
struct CheckpointSummary {
  std::vector<std::string> weight_files;
  std::set<std::string> stored_dtypes;  // safetensors dtype names
  int64_t tensor_count = 0;
  uint64_t bytes = 0;
};
CheckpointSummary summarize_checkpoint(const std::string& dir);

// Tokenizer files amkd copies along with a checkpoint, those present in DIR.
std::vector<std::string> tokenizer_files_in(const std::string& dir);

struct SaveOptions {
  std::string source_dir;  // where generation_config.json and tokenizer files are copied from
  std::optional<torch::ScalarType> dtype;          // default: the model's dtype
  uint64_t max_shard_bytes = 5ull << 30;           // above this, shards + index
  std::map<std::string, std::string> extra_files;  // name -> content (e.g. the run's recipe.yaml)
};

// Writes the model in the HF layout atomically: OUT appears complete or not at all.
void save_model(CausalLMImpl& model, const std::string& out_dir, const SaveOptions& options = {});

// "fp32" | "bf16" | "fp16" (and torch spellings) -> dtype; throws InputError naming `what`.
torch::ScalarType parse_dtype(const std::string& text, const std::string& what);
std::string dtype_name(torch::ScalarType type);  // "fp32", "bf16", "fp16"

}  // namespace amkd
