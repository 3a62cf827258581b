#include "train/gradient_reduction.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "common/errors.h"

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

DistEnv dist_env_for(const DistSection& dist, const EnvLookup& getenv) {
  DistEnv env = discover_dist_env(getenv);
  if (dist.world_size > 0) {
    if (dist.rank >= dist.world_size || dist.local_rank > dist.rank)
      throw InputError(fmt::format(
          "dist: rank {} and local_rank {} must be below world_size {} (local_rank <= rank)",
          dist.rank, dist.local_rank, dist.world_size));
    env.world_size = static_cast<int>(dist.world_size);
    env.rank = static_cast<int>(dist.rank);
    env.local_rank = static_cast<int>(dist.local_rank);
    env.source = "recipe dist: section";
  }
  if (!dist.master_addr.empty()) env.master_addr = dist.master_addr;
  if (dist.master_port > 65535)
    throw InputError(fmt::format("dist.master_port: {} is not a port", dist.master_port));
  if (dist.master_port > 0) env.master_port = static_cast<int>(dist.master_port);
  return env;
}

DistEnv dist_env_for(const DistSection& dist) {
  return dist_env_for(dist, [](const char* name) { return std::getenv(name); });
}

std::unique_ptr<ProcessGroup> connect_ranks(const DistEnv& env, const torch::Device& device,
                                            const DistSection& dist) {
  if (env.world_size == 1) return nullptr;
  GroupOptions options;
  options.timeout = std::chrono::milliseconds(static_cast<int64_t>(dist.timeout_s * 1000));
  options.bucket_bytes = std::max<int64_t>(1, static_cast<int64_t>(dist.bucket_mb * (1 << 20)));
  return ProcessGroup::create(env, device, options);
}

void check_ranks_agree(ProcessGroup* group, const DistSection& dist, int64_t step,
                       const std::vector<torch::Tensor>& parameters, const std::string& what) {
  if (group == nullptr || dist.check_every == 0 || step % dist.check_every != 0) return;
  group->check_same(parameters, fmt::format("{} after step {}", what, step));
}

int SetupAgreement::first_failed(bool failed) {
  done_ = true;
  torch::Tensor mine = torch::zeros({group_->world_size()}, torch::kFloat64);
  mine[group_->rank()] = failed ? 1.0 : 0.0;
  std::vector<torch::Tensor> flags{mine.to(group_->device())};
  group_->all_reduce_sum(flags);
  const auto f = flags[0].cpu();
  for (int r = 0; r < group_->world_size(); ++r)
    if (f[r].item<double>() > 0) return r;
  return -1;
}

void SetupAgreement::succeeded() {
  if (group_ == nullptr) return;
  if (const int r = first_failed(false); r >= 0)
    throw InputError(
        fmt::format("rank {}: stopping because rank {} failed to set up (its error is "
                    "in its output)",
                    group_->rank(), r));
}

SetupAgreement::~SetupAgreement() {
  if (group_ == nullptr || done_) return;
  try {
    first_failed(true);
  } catch (const std::exception&) {
    // The other ranks are unreachable already; this rank's own error is on its way out.
  }
}

}  // namespace amkd
