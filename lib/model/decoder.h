#pragma once
// One causal decoder for Hugging Face LlamaForCausalLM / Qwen2ForCausalLM / MistralForCausalLM
// and GPT2LMHeadModel. Parameters are registered under their Hugging Face tensor names
// ("model.layers.0.self_attn.q_proj.weight", "transformer.h.0.attn.c_attn.weight"), so
// named_parameters() is the checkpoint's tensor list.
#include <string>
#include <vector>

#include <torch/torch.h>

#include "model/model_config.h"

namespace amkd {

struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
};

// Every tensor a checkpoint of this config holds, in checkpoint order. A tied lm_head is not
// listed (it is the embedding).
std::vector<ParamSpec> parameter_specs(const ModelConfig& config);

// Keys and values for incremental decoding: per layer a buffer [B, kv_heads, capacity, head_dim]
// of which the first `length` positions are filled. Buffers grow by doubling, so a decoding step
// writes in place instead of copying the whole cache.
struct KVCache {
  std::vector<torch::Tensor> keys, values;
  int64_t filled = 0;
  int64_t length() const { return filled; }
  // Keeps only the given batch rows (finished rows leave a generation batch).
  void select_rows(const torch::Tensor& rows);
};

struct ForwardOptions {
  KVCache* cache = nullptr;  // appended to; its length is the position offset
  // [B, past + T] 1 for real tokens, 0 for padding; undefined = all real.
  torch::Tensor attention_mask;
  // [B, T] positions; undefined = past + 0..T-1 (or from attention_mask when given).
  torch::Tensor position_ids;
};

class CausalLMImpl : public torch::nn::Module {
 public:
  // Parameters are allocated uninitialised with `options` (dtype, device); load_checkpoint fills
  // them.
  CausalLMImpl(ModelConfig config, torch::TensorOptions options);

  const ModelConfig& config() const { return config_; }

  // Final hidden states [B, T, hidden] (after the last norm).
  torch::Tensor hidden_states(const torch::Tensor& input_ids, const ForwardOptions& options = {});
  // Logits [B, T, vocab] for hidden states (any leading shape).
  torch::Tensor logits_from_hidden(const torch::Tensor& hidden);
  torch::Tensor forward(const torch::Tensor& input_ids, const ForwardOptions& options = {}) {
    return logits_from_hidden(hidden_states(input_ids, options));
  }

  // The tensor registered under an HF name (lm_head.weight resolves to the embedding when tied).
  torch::Tensor parameter(const std::string& name) const;

 private:
  struct Layer {
    torch::Tensor norm1_w, norm1_b, norm2_w, norm2_b;
    torch::Tensor q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b;  // llama family
    torch::Tensor qkv_w, qkv_b;                            // gpt2 c_attn (Conv1D [in, out])
    torch::Tensor gate_w, gate_b, up_w, up_b, down_w, down_b;
  };

  torch::Tensor attention(const Layer& layer, int64_t index, const torch::Tensor& x,
                          const torch::Tensor& cos, const torch::Tensor& sin,
                          const torch::Tensor& mask, KVCache* cache);
  torch::Tensor mlp(const Layer& layer, const torch::Tensor& x);
  torch::Tensor norm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b);

  ModelConfig config_;
  torch::Tensor embed_, positions_, final_norm_w_, final_norm_b_, lm_head_;
  std::vector<Layer> layers_;
  std::map<std::string, torch::Tensor> by_name_;
};
TORCH_MODULE(CausalLM);

}  // namespace amkd
