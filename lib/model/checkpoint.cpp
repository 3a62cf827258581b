#include "model/checkpoint.h"

#include <filesystem>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "common/atomic_write.h"
#include "common/errors.h"
#include "common/json_io.h"
#include "model/safetensors.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace amkd {
namespace {

constexpr const char* kTokenizerFiles[] = {
    "tokenizer.json",     "tokenizer_config.json",
    "tokenizer.model",    "special_tokens_map.json",
    "vocab.json",         "merges.txt",
    "added_tokens.json",  "chat_template.jinja",
    "chat_template.json",
};

// The weight files of a checkpoint: the index's shards, or the single model.safetensors.
std::vector<std::string> weight_files(const fs::path& dir) {
  const fs::path index = dir / "model.safetensors.index.json";
  if (fs::exists(index)) {
    json j = read_json_file(index);
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      throw InputError(fmt::format("{}: no 'weight_map' object", index.string()));
    std::set<std::string> files;
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      if (!it.value().is_string())
        throw InputError(
            fmt::format("{}: weight_map['{}'] is not a file name", index.string(), it.key()));
      const std::string file = it.value().get<std::string>();
      // Shards live beside the index: refuse paths that would read elsewhere.
      if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
        throw InputError(
            fmt::format("{}: weight_map['{}'] = '{}' is not a file name in the directory",
                        index.string(), it.key(), file));
      files.insert(file);
    }
    if (files.empty()) throw InputError(fmt::format("{}: weight_map is empty", index.string()));
    return {files.begin(), files.end()};
  }
  if (fs::exists(dir / "model.safetensors")) return {"model.safetensors"};
  std::string hint = fs::exists(dir / "pytorch_model.bin")
                         ? " (pytorch_model.bin is not read: convert it to safetensors first)"
                         : "";
  throw InputError(fmt::format("{}: no model.safetensors or model.safetensors.index.json{}",
                               dir.string(), hint));
}

// Names a checkpoint may hold that are not parameters (buffers older transformers saved).
bool ignorable(const ModelConfig& c, const std::string& name, bool layers_dropped) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (c.family == Family::kGpt2 && (ends_with(".attn.bias") || ends_with(".attn.masked_bias")))
    return true;
  if (ends_with("rotary_emb.inv_freq")) return true;
  // Layers beyond the kept ones (LoadOptions::keep_layers).
  if (layers_dropped) {
    for (const std::string prefix : {"model.layers.", "transformer.h."})
      if (name.compare(0, prefix.size(), prefix) == 0 &&
          std::atoll(name.c_str() + prefix.size()) >= c.num_layers)
        return true;
  }
  return c.tie_word_embeddings && name == "lm_head.weight";
}

bool is_float_dtype(const std::string& dtype) {
  return dtype == "F32" || dtype == "F16" || dtype == "BF16" || dtype == "F64";
}

std::string shape_str(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

}  // namespace

torch::ScalarType parse_dtype(const std::string& text, const std::string& what) {
  if (text == "fp32" || text == "float32" || text == "float") return torch::kFloat32;
  if (text == "bf16" || text == "bfloat16") return torch::kBFloat16;
  if (text == "fp16" || text == "float16" || text == "half") return torch::kFloat16;
  throw InputError(fmt::format("{}: unknown dtype '{}' (expected fp32, bf16 or fp16)", what, text));
}

std::string dtype_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32:
      return "fp32";
    case torch::kBFloat16:
      return "bf16";
    case torch::kFloat16:
      return "fp16";
    default:
      return c10::toString(type);
  }
}

std::vector<std::string> tokenizer_files_in(const std::string& dir) {
  std::vector<std::string> found;
  for (const char* name : kTokenizerFiles)
    if (fs::is_regular_file(fs::path(dir) / name)) found.push_back(name);
  return found;
}

CheckpointSummary summarize_checkpoint(const std::string& dir) {
  CheckpointSummary s;
  s.weight_files = weight_files(dir);
  for (const auto& file : s.weight_files) {
    SafetensorsFile st((fs::path(dir) / file).string());
    for (const auto& e : st.entries()) {
      s.stored_dtypes.insert(e.dtype);
      s.bytes += e.end - e.begin;
      ++s.tensor_count;
    }
  }
  return s;
}

CausalLM load_model(const std::string& dir, const LoadOptions& options) {
  ModelConfig config = load_model_config(dir);
  const bool layers_dropped = options.keep_layers > 0 && options.keep_layers < config.num_layers;
  if (layers_dropped) {
    config.num_layers = options.keep_layers;
    config.raw[config.family == Family::kGpt2 ? "n_layer" : "num_hidden_layers"] =
        options.keep_layers;
  }
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  std::map<std::string, std::pair<const SafetensorsFile*, const SafetensorsEntry*>> stored;
  for (const auto& file : weight_files(dir)) {
    files.push_back(std::make_unique<SafetensorsFile>((fs::path(dir) / file).string()));
    for (const auto& e : files.back()->entries()) {
      std::string name = e.name;
      // Old GPT-2 checkpoints (the original hub upload) store names without "transformer.".
      if (config.family == Family::kGpt2 && name.rfind("transformer.", 0) != 0 &&
          name != "lm_head.weight")
        name = "transformer." + name;
      if (auto [it, added] = stored.try_emplace(name, files.back().get(), &e); !added)
        throw InputError(fmt::format("{}: tensor '{}' is stored twice, in {} and in {}", dir, name,
                                     it->second.first->path(), files.back()->path()));
    }
  }

  const auto specs = parameter_specs(config);
  std::vector<std::string> missing, misshaped, unexpected;
  std::set<std::string> expected;
  for (const auto& spec : specs) {
    expected.insert(spec.name);
    auto it = stored.find(spec.name);
    if (it == stored.end()) {
      missing.push_back(spec.name + " " + shape_str(spec.shape));
    } else if (it->second.second->shape != spec.shape ||
               !is_float_dtype(it->second.second->dtype)) {
      misshaped.push_back(fmt::format("{}: expected {} float, found {} {}", spec.name,
                                      shape_str(spec.shape), shape_str(it->second.second->shape),
                                      it->second.second->dtype));
    }
  }
  for (const auto& [name, where] : stored)
    if (!expected.count(name) && !ignorable(config, name, layers_dropped))
      unexpected.push_back(name);
  if (!missing.empty() || !misshaped.empty() || !unexpected.empty()) {
    std::string msg = fmt::format("{}: checkpoint does not match its config.json ({} {}):", dir,
                                  config.model_type, fmt::format("{} layers", config.num_layers));
    auto list = [&](const char* title, const std::vector<std::string>& names) {
      if (names.empty()) return;
      msg += fmt::format("\n  {} ({}):", title, names.size());
      for (const auto& n : names) msg += "\n    " + n;
    };
    list("missing tensors", missing);
    list("mis-shaped tensors", misshaped);
    list("unexpected tensors", unexpected);
    throw InputError(msg);
  }

  CausalLM model(config, torch::TensorOptions().dtype(options.dtype).device(options.device));
  torch::NoGradGuard no_grad;
  for (const auto& spec : specs) {
    const auto& [file, entry] = stored.at(spec.name);
    model->parameter(spec.name).copy_(file->load(*entry));
  }
  model->eval();
  return model;
}

void save_model(CausalLMImpl& model, const std::string& out_dir, const SaveOptions& options) {
  const ModelConfig& config = model.config();
  const auto specs = parameter_specs(config);
  const torch::ScalarType dtype =
      options.dtype ? *options.dtype : model.parameter(specs.front().name).scalar_type();
  AtomicDirectory out(out_dir);
  const fs::path tmp = out.temp_path();

  // Group tensors into shards of at most max_shard_bytes (a larger single tensor gets its own).
  std::vector<std::vector<std::pair<std::string, torch::Tensor>>> shards(1);
  uint64_t shard_bytes = 0, total = 0;
  for (const auto& spec : specs) {
    torch::Tensor t = model.parameter(spec.name).detach().to(torch::kCPU, dtype).contiguous();
    const uint64_t nbytes = t.numel() * t.element_size();
    if (shard_bytes > 0 && shard_bytes + nbytes > options.max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shard_bytes += nbytes;
    total += nbytes;
    shards.back().emplace_back(spec.name, std::move(t));
  }
  if (shards.size() == 1) {
    write_safetensors((tmp / "model.safetensors").string(), shards[0]);
  } else {
    json weight_map = json::object();
    for (size_t i = 0; i < shards.size(); ++i) {
      const std::string file =
          fmt::format("model-{:05d}-of-{:05d}.safetensors", i + 1, shards.size());
      write_safetensors((tmp / file).string(), shards[i]);
      for (const auto& [name, t] : shards[i]) weight_map[name] = file;
    }
    json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
    write_file_atomic(tmp / "model.safetensors.index.json", index.dump(2) + "\n");
  }

  json cfg = config.raw;
  const std::string torch_name = dtype == torch::kFloat32    ? "float32"
                                 : dtype == torch::kBFloat16 ? "bfloat16"
                                                             : "float16";
  bool set = false;
  for (const char* key : {"torch_dtype", "dtype"}) {
    if (cfg.contains(key)) {
      cfg[key] = torch_name;
      set = true;
    }
  }
  if (!set) cfg["torch_dtype"] = torch_name;
  write_file_atomic(tmp / "config.json", cfg.dump(2) + "\n");

  const fs::path src = options.source_dir;
  if (!options.source_dir.empty() && fs::is_regular_file(src / "generation_config.json")) {
    fs::copy_file(src / "generation_config.json", tmp / "generation_config.json");
  } else {
    json gen = {{"_from_model_config", true}};
    if (config.bos_token_id) gen["bos_token_id"] = *config.bos_token_id;
    if (config.eos_token_id) gen["eos_token_id"] = *config.eos_token_id;
    if (config.pad_token_id) gen["pad_token_id"] = *config.pad_token_id;
    write_file_atomic(tmp / "generation_config.json", gen.dump(2) + "\n");
  }
  if (!options.source_dir.empty()) {
    for (const auto& name : tokenizer_files_in(options.source_dir))
      fs::copy_file(src / name, tmp / name);
  }
  for (const auto& [name, content] : options.extra_files) write_file_atomic(tmp / name, content);
  out.commit();
}

}  // namespace amkd
