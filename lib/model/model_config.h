#pragma once
// The architecture of a checkpoint, read from Hugging Face's config.json. One struct covers the
// families amkd runs: Llama, Qwen2 and Mistral (one decoder) and GPT-2.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace amkd {

enum class Family { kLlama, kGpt2 };  // kLlama also covers qwen2 and mistral

struct RopeConfig {
  std::string type = "default";  // default | linear | dynamic | llama3
  double theta = 10000.0;
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 0;
};

struct ModelConfig {
  std::string model_type;  // "llama", "qwen2", "mistral", "gpt2"
  Family family = Family::kLlama;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 0;
  double norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  bool qkv_bias = false;  // q/k/v projections carry a bias (llama attention_bias, qwen2)
  bool o_bias = false;    // o_proj carries a bias (llama attention_bias)
  bool mlp_bias = false;
  bool scale_attn_by_inverse_layer_idx = false;  // gpt2
  RopeConfig rope;
  std::optional<int64_t> sliding_window;  // attention window; longer sequences are refused
  std::optional<int64_t> bos_token_id, eos_token_id, pad_token_id;
  nlohmann::json raw;  // config.json as read; written back on save
};

// Parses a config.json object; `source` names the file in errors (InputError).
ModelConfig parse_model_config(const nlohmann::json& j, const std::string& source);
// Reads DIR/config.json.
ModelConfig load_model_config(const std::string& dir);

}  // namespace amkd
