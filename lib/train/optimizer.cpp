#include "train/optimizer.h"

namespace amkd {

Optimizer::Optimizer(const std::vector<torch::Tensor>& parameters, const OptimSection& optim)
    : parameters_(parameters), grad_clip_(optim.grad_clip) {
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& p : parameters) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  auto options = [&](double weight_decay) {
    return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(optim.lr)
                                                            .betas({optim.betas[0], optim.betas[1]})
                                                            .eps(optim.eps)
                                                            .weight_decay(weight_decay));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!decay.empty()) groups.emplace_back(decay, options(optim.weight_decay));
  if (!no_decay.empty()) groups.emplace_back(no_decay, options(0.0));
  adamw_ = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(optim.lr));
}

double Optimizer::step(double learning_rate) {
  for (auto& group : adamw_->param_groups()) group.options().set_lr(learning_rate);
  std::vector<torch::Tensor> with_grad;
  for (const auto& p : parameters_)
    if (p.grad().defined()) with_grad.push_back(p);
  const double norm = grad_clip_ > 0 ? torch::nn::utils::clip_grad_norm_(with_grad, grad_clip_)
                                     : torch::nn::utils::clip_grad_norm_(with_grad, 1e300);
  adamw_->step();
  return norm;
}

void Optimizer::zero_grad() {
  adamw_->zero_grad();
}

}  // namespace amkd
