#include "model/inspect.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "model/checkpoint.h"
#include "model/decoder.h"
#include "model/model_config.h"

namespace amkd {

nlohmann::json inspect_checkpoint(const std::string& dir) {
  const ModelConfig c = load_model_config(dir);
  const CheckpointSummary files = summarize_checkpoint(dir);
  int64_t params = 0;
  for (const auto& spec : parameter_specs(c)) {
    int64_t n = 1;
    for (int64_t d : spec.shape) n *= d;
    params += n;
  }
  nlohmann::json arch = c.raw.value("architectures", nlohmann::json::array());
  return {
      {"path", dir},
      {"model_type", c.model_type},
      {"architecture", arch.empty() ? nlohmann::json(c.model_type) : arch[0]},
      {"layers", c.num_layers},
      {"hidden_size", c.hidden_size},
      {"intermediate_size", c.intermediate_size},
      {"heads", c.num_heads},
      {"kv_heads", c.num_kv_heads},
      {"head_dim", c.head_dim},
      {"vocab_size", c.vocab_size},
      {"max_position_embeddings", c.max_position_embeddings},
      {"tie_word_embeddings", c.tie_word_embeddings},
      {"rope_type", c.family == Family::kGpt2 ? "none (learned positions)" : c.rope.type},
      {"parameters", params},
      {"stored_dtypes", files.stored_dtypes},
      {"weight_files", files.weight_files},
      {"weight_bytes", files.bytes},
      {"tokenizer_files", tokenizer_files_in(dir)},
  };
}

std::string format_inspection(const nlohmann::json& j) {
  auto join = [](const nlohmann::json& a) {
    std::vector<std::string> v = a.get<std::vector<std::string>>();
    return v.empty() ? std::string("none") : fmt::format("{}", fmt::join(v, ", "));
  };
  const double params = j["parameters"].get<double>();
  return fmt::format(
      "{}\n"
      "  architecture   {} ({})\n"
      "  layers         {}\n"
      "  hidden size    {} (intermediate {})\n"
      "  heads          {} query, {} key/value, head dim {}\n"
      "  vocabulary     {}\n"
      "  positions      {} ({})\n"
      "  tied embedding {}\n"
      "  parameters     {} ({:.2f} M)\n"
      "  stored dtype   {} in {} ({:.1f} MiB)\n"
      "  tokenizer      {}\n",
      j["path"].get<std::string>(), j["architecture"].get<std::string>(),
      j["model_type"].get<std::string>(), j["layers"].get<int64_t>(),
      j["hidden_size"].get<int64_t>(), j["intermediate_size"].get<int64_t>(),
      j["heads"].get<int64_t>(), j["kv_heads"].get<int64_t>(), j["head_dim"].get<int64_t>(),
      j["vocab_size"].get<int64_t>(), j["max_position_embeddings"].get<int64_t>(),
      j["rope_type"].get<std::string>(), j["tie_word_embeddings"].get<bool>() ? "yes" : "no",
      j["parameters"].get<int64_t>(), params / 1e6, join(j["stored_dtypes"]),
      join(j["weight_files"]), j["weight_bytes"].get<double>() / (1 << 20),
      join(j["tokenizer_files"]));
}

}  // namespace amkd
