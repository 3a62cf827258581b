#pragma once
// AMMD's critics f_on and f_off: a decoder backbone (a copy of the student, or its first
// critic.layers layers) and a vocabulary-sized head; f = scale * tanh(head(hidden)). Two
// networks by default, or one backbone with two heads (critic.shared). Heads start at zero, so
// f starts at 0 and the first ascent steps fit the head to the current gap. Trained by its own
// AdamW (no weight decay) with critic.lr.
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "config/recipe.h"
#include "model/decoder.h"
#include "train/optimizer.h"

namespace amkd {

class Critic {
 public:
  Critic(const std::string& student_dir, const CriticSection& section, const OptimSection& optim,
         int64_t vocab, torch::Device device);

  // Hidden states [B, T, H] of the on- (off_policy = false) or off-policy critic's backbone.
  torch::Tensor hidden(bool off_policy, const torch::Tensor& input_ids);
  // Raw head outputs h [n, vocab] for hidden rows [n, H].
  torch::Tensor head(bool off_policy, const torch::Tensor& hidden_rows) const;

  const std::vector<torch::Tensor>& parameters() const { return parameters_; }
  Optimizer& optimizer() { return *optimizer_; }
  double learning_rate() const { return lr_; }

 private:
  std::vector<CausalLM> backbones_;  // one when shared
  torch::Tensor head_on_, head_off_;
  std::vector<torch::Tensor> parameters_;
  std::unique_ptr<Optimizer> optimizer_;
  double lr_;
};

}  // namespace amkd
