#include "objectives/token_nll.h"

namespace amkd {

LossSum response_nll(CausalLMImpl& model, const TrainBatch& batch) {
  const torch::Device device = model.parameters().front().device();
  const torch::Tensor hidden = model.hidden_states(batch.input_ids.to(device));
  const torch::Tensor mask = batch.target_mask.to(device);
  const torch::Tensor logits = model.logits_from_hidden(hidden.index({mask})).to(torch::kFloat32);
  const torch::Tensor targets = batch.targets.to(device).index({mask});
  return {
      torch::nn::functional::cross_entropy(
          logits, targets, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)),
      batch.target_count};
}

}  // namespace amkd
