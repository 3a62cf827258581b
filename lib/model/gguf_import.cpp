#include "model/gguf_import.h"

#include <regex>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "model/gguf_file.h"
#include "model/model_config.h"
#include "tokenizer/gguf_vocab.h"

namespace amkd {
namespace {

using nlohmann::json;

// llama.* metadata -> LlamaForCausalLM config.json.
json llama_config(const GgufFile& file) {
  const json& m = file.metadata();
  auto bad = [&](const std::string& key, const std::string& what) {
    return InputError(fmt::format("{}: GGUF metadata '{}' {}", file.path(), key, what));
  };
  auto integer = [&](const std::string& key, std::optional<int64_t> fallback) -> int64_t {
    const std::string k = "llama." + key;
    if (!m.contains(k)) {
      if (fallback) return *fallback;
      throw bad(k, "is missing");
    }
    if (!m[k].is_number_integer() || m[k].get<int64_t>() <= 0)
      throw bad(k, fmt::format("must be a positive integer, found {}", m[k].dump()));
    return m[k].get<int64_t>();
  };
  auto number = [&](const std::string& key, double fallback) {
    const std::string k = "llama." + key;
    if (!m.contains(k)) return fallback;
    if (!m[k].is_number()) throw bad(k, "must be a number");
    return m[k].get<double>();
  };

  const int64_t hidden = integer("embedding_length", std::nullopt);
  const int64_t heads = integer("attention.head_count", std::nullopt);
  const int64_t head_dim = integer("attention.key_length", hidden / heads);
  if (head_dim % 2 != 0)
    throw bad("llama.attention.key_length", fmt::format("{} is odd (RoPE needs pairs)", head_dim));
  int64_t vocab = 0;
  if (m.contains("llama.vocab_size")) {
    vocab = integer("vocab_size", std::nullopt);
  } else if (m.contains("tokenizer.ggml.tokens") && m["tokenizer.ggml.tokens"].is_array()) {
    vocab = static_cast<int64_t>(m["tokenizer.ggml.tokens"].size());
  } else if (const GgufTensor* embed = file.find("token_embd.weight")) {
    vocab = embed->dims.back();
  }
  json c = {{"architectures", {"LlamaForCausalLM"}},
            {"model_type", "llama"},
            {"vocab_size", vocab},
            {"hidden_size", hidden},
            {"intermediate_size", integer("feed_forward_length", std::nullopt)},
            {"num_hidden_layers", integer("block_count", std::nullopt)},
            {"num_attention_heads", heads},
            {"num_key_value_heads", integer("attention.head_count_kv", heads)},
            {"head_dim", head_dim},
            {"max_position_embeddings", integer("context_length", int64_t{2048})},
            {"rms_norm_eps", number("attention.layer_norm_rms_epsilon", 1e-5)},
            {"rope_theta", number("rope.freq_base", 10000.0)},
            {"hidden_act", "silu"},
            {"attention_bias", false},
            {"mlp_bias", false},
            {"tie_word_embeddings", file.find("output.weight") == nullptr},
            {"torch_dtype", "float32"}};
  const std::string scaling =
      m.contains("llama.rope.scaling.type") && m["llama.rope.scaling.type"].is_string()
          ? m["llama.rope.scaling.type"].get<std::string>()
          : "none";
  if (scaling == "linear") {
    c["rope_scaling"] = {{"rope_type", "linear"}, {"factor", number("rope.scaling.factor", 1.0)}};
  } else if (scaling != "none") {
    throw bad("llama.rope.scaling.type",
              fmt::format("'{}' is not supported (none, linear)", scaling));
  }
  for (auto [key, name] : {std::pair{"tokenizer.ggml.bos_token_id", "bos_token_id"},
                           {"tokenizer.ggml.eos_token_id", "eos_token_id"},
                           {"tokenizer.ggml.padding_token_id", "pad_token_id"}}) {
    if (m.contains(key) && m[key].is_number_integer()) c[name] = m[key];
  }
  return c;
}

// GGUF tensor name -> HF name ("" for names amkd does not know).
std::string hf_name(const std::string& gguf) {
  static const std::regex block(R"(blk\.(\d+)\.(\w+)\.weight)");
  static const std::map<std::string, std::string> per_layer = {
      {"attn_norm", "input_layernorm"}, {"ffn_norm", "post_attention_layernorm"},
      {"attn_q", "self_attn.q_proj"},   {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},   {"attn_output", "self_attn.o_proj"},
      {"ffn_gate", "mlp.gate_proj"},    {"ffn_up", "mlp.up_proj"},
      {"ffn_down", "mlp.down_proj"},
  };
  if (gguf == "token_embd.weight") return "model.embed_tokens.weight";
  if (gguf == "output_norm.weight") return "model.norm.weight";
  if (gguf == "output.weight") return "lm_head.weight";
  std::smatch match;
  if (std::regex_match(gguf, match, block)) {
    auto it = per_layer.find(match[2]);
    if (it != per_layer.end())
      return fmt::format("model.layers.{}.{}.weight", match[1].str(), it->second);
  }
  return "";
}

// llama.cpp's converter interleaves the rotary halves of each q/k head; this undoes it.
torch::Tensor unpermute_rotary(const torch::Tensor& w, int64_t heads) {
  const int64_t rows = w.size(0), cols = w.size(1);
  return w.reshape({heads, rows / heads / 2, 2, cols}).transpose(1, 2).reshape({rows, cols});
}

}  // namespace

GgufImport import_gguf(const std::string& path) {
  GgufFile file(path);
  const json& m = file.metadata();
  const std::string arch =
      m.contains("general.architecture") && m["general.architecture"].is_string()
          ? m["general.architecture"].get<std::string>()
          : "";
  if (arch != "llama")
    throw InputError(fmt::format(
        "{}: general.architecture '{}' is not supported by amkd convert (only llama)", path, arch));
  GgufImport out;
  out.tokenizer = tokenizer_files_from_gguf(m, path);
  const ModelConfig config = parse_model_config(llama_config(file), path + " (llama metadata)");
  out.model = CausalLM(config, torch::TensorOptions().dtype(torch::kFloat32));

  std::vector<std::string> problems;
  std::set<std::string> filled;
  torch::NoGradGuard no_grad;
  const auto params = out.model->named_parameters();
  for (const GgufTensor& t : file.tensors()) {
    const std::string name = hf_name(t.name);
    const torch::Tensor* target = name.empty() ? nullptr : params.find(name);
    if (target == nullptr) {
      problems.push_back(fmt::format("unexpected tensor '{}'", t.name));
      continue;
    }
    if (t.torch_shape() != target->sizes().vec()) {
      problems.push_back(fmt::format("tensor '{}' has shape [{}], {} needs [{}]", t.name,
                                     fmt::join(t.torch_shape(), ", "), name,
                                     fmt::join(target->sizes(), ", ")));
      continue;
    }
    torch::Tensor w = file.load_f32(t);
    if (name.find("q_proj") != std::string::npos) w = unpermute_rotary(w, config.num_heads);
    if (name.find("k_proj") != std::string::npos) w = unpermute_rotary(w, config.num_kv_heads);
    target->copy_(w);
    filled.insert(name);
    ++out.tensor_types[ggml_type_name(t.type)];
  }
  for (const auto& p : params)
    if (!filled.count(p.key())) problems.push_back(fmt::format("missing tensor for {}", p.key()));
  if (!problems.empty()) {
    std::string msg = fmt::format("{}: cannot convert to a llama checkpoint:", path);
    for (const auto& p : problems) msg += "\n  - " + p;
    throw InputError(msg);
  }
  return out;
}

}  // namespace amkd
