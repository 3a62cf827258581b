#include "train/critic.h"

#include "model/checkpoint.h"

namespace amkd {

Critic::Critic(const std::string& student_dir, const CriticSection& section,
               const OptimSection& optim, int64_t vocab, torch::Device device)
    : lr_(section.lr > 0 ? section.lr : optim.lr) {
  LoadOptions load{torch::kFloat32, device};
  if (section.backbone == "small") load.keep_layers = section.layers;
  for (int i = 0; i < (section.shared ? 1 : 2); ++i) {
    backbones_.push_back(load_model(student_dir, load));
    backbones_.back()->train();
    CausalLMImpl& backbone = *backbones_.back();
    // The backbone's own LM head is unused (the critic heads replace it) unless tied.
    const torch::Tensor lm_head = backbone.parameter("lm_head.weight");
    for (const auto& p : backbone.parameters()) {
      if (p.is_same(lm_head) && !backbone.config().tie_word_embeddings) {
        p.set_requires_grad(false);
        continue;
      }
      parameters_.push_back(p);
    }
  }
  const int64_t width = backbones_.front()->config().hidden_size;
  auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  head_on_ = torch::zeros({vocab, width}, options).requires_grad_(true);
  head_off_ = torch::zeros({vocab, width}, options).requires_grad_(true);
  parameters_.push_back(head_on_);
  parameters_.push_back(head_off_);
  OptimSection critic_optim = optim;
  critic_optim.lr = lr_;
  critic_optim.weight_decay = 0;
  optimizer_ = std::make_unique<Optimizer>(parameters_, critic_optim);
}

torch::Tensor Critic::hidden(bool off_policy, const torch::Tensor& input_ids) {
  CausalLM& backbone = backbones_.size() == 1 ? backbones_[0] : backbones_[off_policy ? 1 : 0];
  return backbone->hidden_states(input_ids);
}

torch::Tensor Critic::head(bool off_policy, const torch::Tensor& hidden_rows) const {
  return torch::matmul(hidden_rows.to(torch::kFloat32), (off_policy ? head_off_ : head_on_).t());
}

}  // namespace amkd
