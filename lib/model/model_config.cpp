#include "model/model_config.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/json_io.h"

namespace amkd {
namespace {

using nlohmann::json;

// Upper limits for sizes read from config.json or GGUF metadata: far above any released model,
// low enough that a corrupt value is refused before parameter shapes are built from it.
constexpr int64_t kMaxLayers = 1024, kMaxHeads = 1024, kMaxHeadDim = 4096;
constexpr int64_t kMaxWidth = 1 << 17, kMaxVocab = 1 << 24, kMaxPositions = 1 << 24;

// Collects every problem of one config.json, reported together.
class Reader {
 public:
  Reader(const json& j, std::string source) : j_(j), source_(std::move(source)) {}

  bool has(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }

  // A size from the file, refused above `max` (limits far beyond any real model, so that a
  // corrupt file is refused before anything is allocated from it).
  int64_t positive_int(const char* key, std::optional<int64_t> fallback, int64_t max) {
    if (!has(key)) {
      if (fallback) return *fallback;
      errors_.push_back(fmt::format("missing required field '{}'", key));
      return 0;
    }
    const json& v = j_[key];
    const bool beyond_int64 =
        v.is_number_unsigned() &&
        v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (!v.is_number_integer() || beyond_int64 || v.get<int64_t>() <= 0) {
      errors_.push_back(fmt::format("'{}' must be a positive integer, found {}", key, v.dump()));
      return 0;
    }
    if (v.get<int64_t>() > max) {
      errors_.push_back(
          fmt::format("'{}' is {}, above the largest amkd accepts ({})", key, v.dump(), max));
      return 0;
    }
    return v.get<int64_t>();
  }

  std::optional<int64_t> optional_id(const char* key) {
    if (!has(key)) return std::nullopt;
    const json& v = j_[key];
    if (v.is_array() && !v.empty() && v[0].is_number_integer()) return v[0].get<int64_t>();
    if (!v.is_number_integer()) {
      errors_.push_back(fmt::format("'{}' must be an integer, found {}", key, v.dump()));
      return std::nullopt;
    }
    return v.get<int64_t>();
  }

  double number(const json& obj, const char* key, double fallback, const std::string& where) {
    if (!obj.contains(key) || obj[key].is_null()) return fallback;
    if (!obj[key].is_number() || !std::isfinite(obj[key].get<double>())) {
      errors_.push_back(
          fmt::format("'{}{}' must be a number, found {}", where, key, obj[key].dump()));
      return fallback;
    }
    return obj[key].get<double>();
  }
  double number(const char* key, double fallback) { return number(j_, key, fallback, ""); }

  bool boolean(const char* key, bool fallback) {
    if (!has(key)) return fallback;
    if (!j_[key].is_boolean()) {
      errors_.push_back(fmt::format("'{}' must be true or false, found {}", key, j_[key].dump()));
      return fallback;
    }
    return j_[key].get<bool>();
  }

  std::string string(const char* key, const std::string& fallback) {
    if (!has(key)) return fallback;
    if (!j_[key].is_string()) {
      errors_.push_back(fmt::format("'{}' must be a string, found {}", key, j_[key].dump()));
      return fallback;
    }
    return j_[key].get<std::string>();
  }

  void error(std::string message) { errors_.push_back(std::move(message)); }

  void finish() const {
    if (errors_.empty()) return;
    std::string msg = fmt::format("{}: unusable model config:", source_);
    for (const auto& e : errors_) msg += "\n  - " + e;
    throw InputError(msg);
  }

  const json& j() const { return j_; }

 private:
  const json& j_;
  std::string source_;
  std::vector<std::string> errors_;
};

// rope_theta and rope_scaling (transformers 4.x hub configs) or rope_parameters (5.x).
RopeConfig parse_rope(Reader& r, int64_t max_positions) {
  RopeConfig rope;
  const json& j = r.j();
  json params = json::object();
  std::string where;
  if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {
    params = j["rope_parameters"];
    where = "rope_parameters.";
  } else if (j.contains("rope_scaling") && j["rope_scaling"].is_object()) {
    params = j["rope_scaling"];
    where = "rope_scaling.";
  } else if (j.contains("rope_scaling") && !j["rope_scaling"].is_null()) {
    r.error(fmt::format("'rope_scaling' must be an object or null, found {}",
                        j["rope_scaling"].dump()));
  }
  rope.theta = r.number(params, "rope_theta", r.number("rope_theta", 10000.0), where);
  std::string type = "default";
  for (const char* key : {"rope_type", "type"}) {
    if (params.contains(key) && params[key].is_string()) {
      type = params[key].get<std::string>();
      break;
    }
  }
  if (type != "default" && type != "linear" && type != "dynamic" && type != "llama3") {
    r.error(fmt::format(
        "{}rope_type '{}' is not supported (supported: default, linear, dynamic, llama3)", where,
        type));
  }
  rope.type = type;
  rope.factor = r.number(params, "factor", 1.0, where);
  rope.low_freq_factor = r.number(params, "low_freq_factor", 1.0, where);
  rope.high_freq_factor = r.number(params, "high_freq_factor", 4.0, where);
  const double original = r.number(params, "original_max_position_embeddings",
                                   static_cast<double>(max_positions), where);
  if (original >= 1 && original <= static_cast<double>(kMaxPositions))
    rope.original_max_position_embeddings = static_cast<int64_t>(original);
  else
    r.error(fmt::format("{}original_max_position_embeddings must be in [1, {}], found {}", where,
                        kMaxPositions, original));
  if (type != "default" && rope.factor <= 0)
    r.error(fmt::format("{}factor must be positive", where));
  if (type == "llama3" && !(rope.low_freq_factor > 0))
    r.error(fmt::format("{}low_freq_factor must be positive", where));
  if (type == "llama3" && !(rope.high_freq_factor > rope.low_freq_factor))
    r.error(fmt::format("{}high_freq_factor must exceed low_freq_factor", where));
  if (rope.theta <= 0) r.error("rope_theta must be positive");
  const double partial = r.number("partial_rotary_factor", 1.0);
  if (partial != 1.0)
    r.error(fmt::format("partial_rotary_factor {} is not supported (only 1.0)", partial));
  return rope;
}

void parse_llama_like(Reader& r, ModelConfig& c) {
  c.vocab_size = r.positive_int("vocab_size", std::nullopt, kMaxVocab);
  c.hidden_size = r.positive_int("hidden_size", std::nullopt, kMaxWidth);
  c.intermediate_size = r.positive_int("intermediate_size", std::nullopt, 4 * kMaxWidth);
  c.num_layers = r.positive_int("num_hidden_layers", std::nullopt, kMaxLayers);
  c.num_heads = r.positive_int("num_attention_heads", std::nullopt, kMaxHeads);
  c.num_kv_heads = r.positive_int("num_key_value_heads", c.num_heads, kMaxHeads);
  const int64_t default_head_dim = c.num_heads > 0 ? c.hidden_size / c.num_heads : 0;
  c.head_dim = r.positive_int("head_dim", default_head_dim, kMaxHeadDim);
  if (c.head_dim % 2 != 0)
    r.error(fmt::format("head_dim {} must be even (rotary embeddings rotate pairs of values)",
                        c.head_dim));
  c.max_position_embeddings =
      r.positive_int("max_position_embeddings", int64_t{2048}, kMaxPositions);
  c.norm_eps = r.number("rms_norm_eps", 1e-6);
  if (!(c.norm_eps > 0))
    r.error(fmt::format("'rms_norm_eps' must be positive, found {}", c.norm_eps));
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  const std::string act = r.string("hidden_act", "silu");
  if (act != "silu")
    r.error(fmt::format("hidden_act '{}' is not supported for {} (only silu)", act, c.model_type));
  if (c.num_heads > 0 && c.num_kv_heads > 0 && c.num_heads % c.num_kv_heads != 0)
    r.error(fmt::format("num_attention_heads {} is not a multiple of num_key_value_heads {}",
                        c.num_heads, c.num_kv_heads));
  if (c.model_type == "llama") {
    c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
    c.mlp_bias = r.boolean("mlp_bias", false);
  } else if (c.model_type == "qwen2") {
    c.qkv_bias = true;
    if (r.boolean("use_sliding_window", false) && r.has("sliding_window"))
      c.sliding_window = r.positive_int("sliding_window", std::nullopt, kMaxPositions);
  } else if (c.model_type == "mistral") {
    if (r.has("sliding_window"))
      c.sliding_window = r.positive_int("sliding_window", std::nullopt, kMaxPositions);
  }
  c.rope = parse_rope(r, c.max_position_embeddings);
}

void parse_gpt2(Reader& r, ModelConfig& c) {
  c.family = Family::kGpt2;
  c.vocab_size = r.positive_int("vocab_size", std::nullopt, kMaxVocab);
  c.hidden_size = r.positive_int("n_embd", std::nullopt, kMaxWidth);
  c.num_layers = r.positive_int("n_layer", std::nullopt, kMaxLayers);
  c.num_heads = r.positive_int("n_head", std::nullopt, kMaxHeads);
  c.num_kv_heads = c.num_heads;
  c.head_dim = c.num_heads > 0 ? c.hidden_size / c.num_heads : 0;
  c.intermediate_size = r.positive_int("n_inner", 4 * c.hidden_size, 4 * kMaxWidth);
  c.max_position_embeddings = r.positive_int("n_positions", std::nullopt, kMaxPositions);
  c.norm_eps = r.number("layer_norm_epsilon", 1e-5);
  if (!(c.norm_eps > 0))
    r.error(fmt::format("'layer_norm_epsilon' must be positive, found {}", c.norm_eps));
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
  c.qkv_bias = c.o_bias = c.mlp_bias = true;
  c.scale_attn_by_inverse_layer_idx = r.boolean("scale_attn_by_inverse_layer_idx", false);
  if (c.num_heads > 0 && c.hidden_size % c.num_heads != 0)
    r.error(fmt::format("n_embd {} is not a multiple of n_head {}", c.hidden_size, c.num_heads));
  const std::string act = r.string("activation_function", "gelu_new");
  if (act != "gelu_new")
    r.error(fmt::format("activation_function '{}' is not supported for gpt2 (only gelu_new)", act));
  if (!r.boolean("scale_attn_weights", true)) r.error("scale_attn_weights false is not supported");
}

}  // namespace

ModelConfig parse_model_config(const json& j, const std::string& source) {
  if (!j.is_object())
    throw InputError(fmt::format("{}: model config is not a JSON object", source));
  Reader r(j, source);
  ModelConfig c;
  c.raw = j;
  c.model_type = r.string("model_type", "");
  if (c.model_type.empty()) {
    r.error("missing required field 'model_type'");
    r.finish();
  }
  if (c.model_type == "llama" || c.model_type == "qwen2" || c.model_type == "mistral") {
    parse_llama_like(r, c);
  } else if (c.model_type == "gpt2") {
    parse_gpt2(r, c);
  } else {
    r.error(fmt::format("model_type '{}' is not supported (supported: llama, qwen2, mistral, gpt2)",
                        c.model_type));
  }
  if (r.has("architectures")) {
    const json& a = j["architectures"];
    bool ok = a.is_array();
    for (const auto& v : ok ? a : json::array()) ok = ok && v.is_string();
    if (!ok) r.error(fmt::format("'architectures' must be a list of names, found {}", a.dump()));
  }
  c.bos_token_id = r.optional_id("bos_token_id");
  c.eos_token_id = r.optional_id("eos_token_id");
  c.pad_token_id = r.optional_id("pad_token_id");
  r.finish();
  return c;
}

ModelConfig load_model_config(const std::string& dir) {
  const std::filesystem::path path = std::filesystem::path(dir) / "config.json";
  if (!std::filesystem::is_regular_file(path)) {
    throw InputError(
        std::filesystem::is_directory(dir)
            ? fmt::format("{}: no config.json (not a Hugging Face model directory?)", dir)
            : fmt::format("{}: model directory does not exist", dir));
  }
  return parse_model_config(read_json_file(path), path.string());
}

}  // namespace amkd
