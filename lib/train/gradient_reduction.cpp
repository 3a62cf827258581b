#include "train/gradient_reduction.h"

namespace amkd {

StepTotals reduce_gradients(const std::vector<torch::Tensor>& parameters, StepTotals local,
                            ProcessGroup* group) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters) {
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  StepTotals total = local;
  if (group && group->world_size() > 1) {
    std::vector<torch::Tensor> totals{torch::tensor({local.loss_sum, local.count}, torch::kFloat64)
                                          .to(parameters.front().device())};
    group->all_reduce_sum(grads);
    group->all_reduce_sum(totals);
    const auto t = totals[0].cpu();
    total = {t[0].item<double>(), t[1].item<double>()};
  }
  if (total.count > 0)
    for (auto& g : grads) g.div_(total.count);
  return total;
}

}  // namespace amkd
