#include "model/decoder.h"

#include <cmath>

#include <fmt/format.h>

#include "common/errors.h"
#include "model/rope.h"

#ifdef AMKD_WITH_CUDA
#include "rms_norm.h"
#endif

namespace amkd {
namespace {

// A module that only holds children and parameters, so dotted HF names become a module tree.
struct Node : torch::nn::Module {};

torch::Tensor register_dotted(torch::nn::Module& root, const std::string& dotted,
                              torch::Tensor value) {
  torch::nn::Module* node = &root;
  size_t start = 0;
  for (size_t dot = dotted.find('.'); dot != std::string::npos; dot = dotted.find('.', start)) {
    const std::string part = dotted.substr(start, dot - start);
    const auto children = node->named_children();  // find() points into this copy
    const auto* child = children.find(part);
    node = child != nullptr ? child->get()
                            : node->register_module(part, std::make_shared<Node>()).get();
    start = dot + 1;
  }
  return node->register_parameter(dotted.substr(start), std::move(value));
}

void add(std::vector<ParamSpec>& out, std::string name, std::vector<int64_t> shape) {
  out.push_back({std::move(name), std::move(shape)});
}

}  // namespace

std::vector<ParamSpec> parameter_specs(const ModelConfig& c) {
  std::vector<ParamSpec> s;
  const int64_t H = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  if (c.family == Family::kGpt2) {
    add(s, "transformer.wte.weight", {V, H});
    add(s, "transformer.wpe.weight", {c.max_position_embeddings, H});
    for (int64_t i = 0; i < c.num_layers; ++i) {
      const std::string p = fmt::format("transformer.h.{}.", i);
      add(s, p + "ln_1.weight", {H});
      add(s, p + "ln_1.bias", {H});
      add(s, p + "attn.c_attn.weight", {H, 3 * H});
      add(s, p + "attn.c_attn.bias", {3 * H});
      add(s, p + "attn.c_proj.weight", {H, H});
      add(s, p + "attn.c_proj.bias", {H});
      add(s, p + "ln_2.weight", {H});
      add(s, p + "ln_2.bias", {H});
      add(s, p + "mlp.c_fc.weight", {H, I});
      add(s, p + "mlp.c_fc.bias", {I});
      add(s, p + "mlp.c_proj.weight", {I, H});
      add(s, p + "mlp.c_proj.bias", {H});
    }
    add(s, "transformer.ln_f.weight", {H});
    add(s, "transformer.ln_f.bias", {H});
  } else {
    const int64_t q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
    add(s, "model.embed_tokens.weight", {V, H});
    for (int64_t i = 0; i < c.num_layers; ++i) {
      const std::string p = fmt::format("model.layers.{}.", i);
      add(s, p + "input_layernorm.weight", {H});
      add(s, p + "self_attn.q_proj.weight", {q, H});
      add(s, p + "self_attn.k_proj.weight", {kv, H});
      add(s, p + "self_attn.v_proj.weight", {kv, H});
      if (c.qkv_bias) {
        add(s, p + "self_attn.q_proj.bias", {q});
        add(s, p + "self_attn.k_proj.bias", {kv});
        add(s, p + "self_attn.v_proj.bias", {kv});
      }
      add(s, p + "self_attn.o_proj.weight", {H, q});
      if (c.o_bias) add(s, p + "self_attn.o_proj.bias", {H});
      add(s, p + "post_attention_layernorm.weight", {H});
      add(s, p + "mlp.gate_proj.weight", {I, H});
      add(s, p + "mlp.up_proj.weight", {I, H});
      add(s, p + "mlp.down_proj.weight", {H, I});
      if (c.mlp_bias) {
        add(s, p + "mlp.gate_proj.bias", {I});
        add(s, p + "mlp.up_proj.bias", {I});
        add(s, p + "mlp.down_proj.bias", {H});
      }
    }
    add(s, "model.norm.weight", {H});
  }
  if (!c.tie_word_embeddings) add(s, "lm_head.weight", {V, H});
  return s;
}

CausalLMImpl::CausalLMImpl(ModelConfig config, torch::TensorOptions options)
    : config_(std::move(config)) {
  for (const ParamSpec& spec : parameter_specs(config_)) {
    by_name_[spec.name] = register_dotted(*this, spec.name, torch::empty(spec.shape, options));
  }
  const bool gpt2 = config_.family == Family::kGpt2;
  auto get = [&](const std::string& name) {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? torch::Tensor() : it->second;
  };
  embed_ = get(gpt2 ? "transformer.wte.weight" : "model.embed_tokens.weight");
  positions_ = get("transformer.wpe.weight");
  final_norm_w_ = get(gpt2 ? "transformer.ln_f.weight" : "model.norm.weight");
  final_norm_b_ = get("transformer.ln_f.bias");
  lm_head_ = config_.tie_word_embeddings ? embed_ : get("lm_head.weight");
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    Layer l;
    if (gpt2) {
      const std::string p = fmt::format("transformer.h.{}.", i);
      l.norm1_w = get(p + "ln_1.weight");
      l.norm1_b = get(p + "ln_1.bias");
      l.norm2_w = get(p + "ln_2.weight");
      l.norm2_b = get(p + "ln_2.bias");
      l.qkv_w = get(p + "attn.c_attn.weight");
      l.qkv_b = get(p + "attn.c_attn.bias");
      l.o_w = get(p + "attn.c_proj.weight");
      l.o_b = get(p + "attn.c_proj.bias");
      l.up_w = get(p + "mlp.c_fc.weight");
      l.up_b = get(p + "mlp.c_fc.bias");
      l.down_w = get(p + "mlp.c_proj.weight");
      l.down_b = get(p + "mlp.c_proj.bias");
    } else {
      const std::string p = fmt::format("model.layers.{}.", i);
      l.norm1_w = get(p + "input_layernorm.weight");
      l.norm2_w = get(p + "post_attention_layernorm.weight");
      l.q_w = get(p + "self_attn.q_proj.weight");
      l.q_b = get(p + "self_attn.q_proj.bias");
      l.k_w = get(p + "self_attn.k_proj.weight");
      l.k_b = get(p + "self_attn.k_proj.bias");
      l.v_w = get(p + "self_attn.v_proj.weight");
      l.v_b = get(p + "self_attn.v_proj.bias");
      l.o_w = get(p + "self_attn.o_proj.weight");
      l.o_b = get(p + "self_attn.o_proj.bias");
      l.gate_w = get(p + "mlp.gate_proj.weight");
      l.gate_b = get(p + "mlp.gate_proj.bias");
      l.up_w = get(p + "mlp.up_proj.weight");
      l.up_b = get(p + "mlp.up_proj.bias");
      l.down_w = get(p + "mlp.down_proj.weight");
      l.down_b = get(p + "mlp.down_proj.bias");
    }
    layers_.push_back(std::move(l));
  }
}

void KVCache::select_rows(const torch::Tensor& rows) {
  for (auto& k : keys) k = k.index_select(0, rows.to(k.device()));
  for (auto& v : values) v = v.index_select(0, rows.to(v.device()));
}

torch::Tensor CausalLMImpl::parameter(const std::string& name) const {
  if (name == "lm_head.weight") return lm_head_;
  auto it = by_name_.find(name);
  if (it == by_name_.end()) throw std::out_of_range("no parameter " + name);
  return it->second;
}

torch::Tensor CausalLMImpl::norm(const torch::Tensor& x, const torch::Tensor& w,
                                 const torch::Tensor& b) {
  if (config_.family == Family::kGpt2) {
    return torch::layer_norm(x, {x.size(-1)}, w, b, config_.norm_eps);
  }
#ifdef AMKD_WITH_CUDA
  // The fused kernel has no backward: it serves inference (scoring, sampling, the teacher).
  if (x.is_cuda() && !torch::GradMode::is_enabled()) return cuda::rms_norm(x, w, config_.norm_eps);
#endif
  // RMSNorm as transformers: statistics in fp32, scaled in the input dtype.
  torch::Tensor xf = x.to(torch::kFloat32);
  xf = xf * torch::rsqrt(xf.pow(2).mean(-1, true) + config_.norm_eps);
  return w * xf.to(x.scalar_type());
}

torch::Tensor CausalLMImpl::mlp(const Layer& l, const torch::Tensor& x) {
  if (config_.family == Family::kGpt2) {
    torch::Tensor h = torch::gelu(torch::addmm(l.up_b, x.flatten(0, -2), l.up_w), "tanh");
    return torch::addmm(l.down_b, h, l.down_w).view(x.sizes());
  }
  torch::Tensor h =
      torch::silu(torch::linear(x, l.gate_w, l.gate_b)) * torch::linear(x, l.up_w, l.up_b);
  return torch::linear(h, l.down_w, l.down_b);
}

torch::Tensor CausalLMImpl::attention(const Layer& l, int64_t index, const torch::Tensor& x,
                                      const torch::Tensor& cos, const torch::Tensor& sin,
                                      const torch::Tensor& mask, KVCache* cache) {
  const int64_t B = x.size(0), T = x.size(1), D = config_.head_dim;
  const int64_t Hq = config_.num_heads, Hkv = config_.num_kv_heads;
  torch::Tensor q, k, v;
  if (config_.family == Family::kGpt2) {
    auto qkv = torch::addmm(l.qkv_b, x.flatten(0, -2), l.qkv_w).view({B, T, 3, Hq, D});
    q = qkv.select(2, 0).transpose(1, 2);
    k = qkv.select(2, 1).transpose(1, 2);
    v = qkv.select(2, 2).transpose(1, 2);
  } else {
    q = torch::linear(x, l.q_w, l.q_b).view({B, T, Hq, D}).transpose(1, 2);
    k = torch::linear(x, l.k_w, l.k_b).view({B, T, Hkv, D}).transpose(1, 2);
    v = torch::linear(x, l.v_w, l.v_b).view({B, T, Hkv, D}).transpose(1, 2);
    q = apply_rope(q, cos, sin);
    k = apply_rope(k, cos, sin);
  }
  if (cache != nullptr) {
    if (static_cast<int64_t>(cache->keys.size()) <= index) {
      cache->keys.resize(index + 1);
      cache->values.resize(index + 1);
    }
    const int64_t past = cache->filled, needed = past + T;
    torch::Tensor& kb = cache->keys[index];
    torch::Tensor& vb = cache->values[index];
    if (!kb.defined() || kb.size(2) < needed) {  // grow by doubling, keeping what is filled
      const int64_t capacity =
          std::max<int64_t>(needed, kb.defined() ? 2 * kb.size(2) : needed + 64);
      torch::Tensor nk = torch::empty({B, Hkv, capacity, D}, k.options());
      torch::Tensor nv = torch::empty({B, Hkv, capacity, D}, v.options());
      if (past > 0) {
        nk.narrow(2, 0, past).copy_(kb.narrow(2, 0, past));
        nv.narrow(2, 0, past).copy_(vb.narrow(2, 0, past));
      }
      kb = nk;
      vb = nv;
    }
    kb.narrow(2, past, T).copy_(k);
    vb.narrow(2, past, T).copy_(v);
    k = kb.narrow(2, 0, needed);
    v = vb.narrow(2, 0, needed);
  }
  if (Hkv != Hq) {  // grouped-query attention: each kv head serves Hq/Hkv query heads
    const int64_t rep = Hq / Hkv, S = k.size(2);
    k = k.unsqueeze(2).expand({B, Hkv, rep, S, D}).reshape({B, Hq, S, D});
    v = v.unsqueeze(2).expand({B, Hkv, rep, S, D}).reshape({B, Hq, S, D});
  }
  double scale = 1.0 / std::sqrt(static_cast<double>(D));
  if (config_.scale_attn_by_inverse_layer_idx) scale /= static_cast<double>(index + 1);
  torch::Tensor out = mask.defined()
                          ? at::scaled_dot_product_attention(q, k, v, mask, 0.0, false, scale)
                          : at::scaled_dot_product_attention(q, k, v, {}, 0.0, true, scale);
  out = out.transpose(1, 2).reshape({B, T, Hq * D});
  if (config_.family == Family::kGpt2) {
    return torch::addmm(l.o_b, out.flatten(0, 1), l.o_w).view({B, T, -1});
  }
  return torch::linear(out, l.o_w, l.o_b);
}

torch::Tensor CausalLMImpl::hidden_states(const torch::Tensor& input_ids,
                                          const ForwardOptions& opt) {
  if (input_ids.dim() != 2) throw std::invalid_argument("input_ids must be [batch, time]");
  const int64_t B = input_ids.size(0), T = input_ids.size(1);
  const int64_t past = opt.cache != nullptr ? opt.cache->length() : 0;
  const auto device = embed_.device();
  torch::Tensor ids = input_ids.to(device);

  torch::Tensor positions = opt.position_ids;
  if (!positions.defined()) {
    if (opt.attention_mask.defined()) {  // left padding: count real tokens before each position
      positions = (opt.attention_mask.to(device).to(torch::kLong).cumsum(1) - 1).clamp_min(0);
      positions = positions.narrow(1, past, T);
    } else {
      positions =
          torch::arange(past, past + T, torch::TensorOptions().dtype(torch::kLong).device(device))
              .unsqueeze(0)
              .expand({B, T});
    }
  }
  positions = positions.to(device);
  const int64_t max_position = positions.numel() > 0 ? positions.max().item<int64_t>() + 1 : 0;
  if (config_.family == Family::kGpt2 && max_position > config_.max_position_embeddings)
    throw InputError(fmt::format("sequence of {} positions exceeds gpt2 n_positions {}",
                                 max_position, config_.max_position_embeddings));
  if (config_.sliding_window && past + T > *config_.sliding_window)
    throw InputError(
        fmt::format("sequence of {} tokens exceeds the sliding window {} (amkd runs {} models "
                    "only up to their attention window)",
                    past + T, *config_.sliding_window, config_.model_type));

  // Causal mask: explicit when a cache offset or padding is involved, else SDPA's is_causal.
  torch::Tensor mask;
  if (past > 0 || opt.attention_mask.defined()) {
    auto opts = torch::TensorOptions().dtype(torch::kLong).device(device);
    torch::Tensor q_pos = torch::arange(past, past + T, opts).view({1, 1, T, 1});
    torch::Tensor k_pos = torch::arange(0, past + T, opts).view({1, 1, 1, past + T});
    mask = (k_pos <= q_pos).expand({B, 1, T, past + T});
    if (opt.attention_mask.defined()) {
      torch::Tensor keep = opt.attention_mask.to(device).to(torch::kBool).view({B, 1, 1, past + T});
      // A padded query row would see nothing (NaN in softmax); let it see itself.
      mask = mask.logical_and(keep).logical_or(k_pos == q_pos);
    }
  }

  torch::Tensor h = torch::embedding(embed_, ids);
  torch::Tensor cos, sin;
  if (config_.family == Family::kGpt2) {
    h = h + torch::embedding(positions_, positions);
  } else {
    std::tie(cos, sin) =
        rope_cos_sin(rope_inv_freq(config_, max_position), positions, h.scalar_type());
  }
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    h = h + attention(l, static_cast<int64_t>(i), norm(h, l.norm1_w, l.norm1_b), cos, sin, mask,
                      opt.cache);
    h = h + mlp(l, norm(h, l.norm2_w, l.norm2_b));
  }
  if (opt.cache != nullptr) opt.cache->filled += T;
  return norm(h, final_norm_w_, final_norm_b_);
}

torch::Tensor CausalLMImpl::logits_from_hidden(const torch::Tensor& hidden) {
  return torch::matmul(hidden, lm_head_.t());
}

}  // namespace amkd
