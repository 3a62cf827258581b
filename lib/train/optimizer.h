#pragma once
// AdamW over a model's parameters, with weight decay on matrices only: norms and biases (1-D
// parameters) are in a second group without decay, as the MiniLLM/DistiLLM and HF trainers do.
#include <memory>

#include <torch/torch.h>

#include "config/recipe.h"

namespace amkd {

class Optimizer {
 public:
  Optimizer(const std::vector<torch::Tensor>& parameters, const OptimSection& optim);

  // Sets the learning rate of every group, clips the global gradient norm (optim.grad_clip > 0)
  // and steps. Returns the gradient norm before clipping.
  double step(double learning_rate);
  void zero_grad();
  torch::optim::AdamW& adamw() { return *adamw_; }

 private:
  std::vector<torch::Tensor> parameters_;
  double grad_clip_;
  std::unique_ptr<torch::optim::AdamW> adamw_;
};

}  // namespace amkd
