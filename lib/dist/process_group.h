#pragma once
// The one reduction point of a training step: gradients and (sum, count) losses of every rank
// are summed here before the optimizer step. CUDA tensors go through NCCL (LibTorch's c10d
// ProcessGroupNCCL); CPU tensors through the c10d TCPStore (for CPU runs and tests; the torch
// wheel ships no Gloo headers). A single process needs no communication at all.
#include <chrono>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "dist/dist_env.h"

namespace c10d {
class Store;
}

namespace amkd {

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  const DistEnv& env() const { return env_; }

  // Sums each tensor over all ranks, in place; every rank gets bit-identical results.
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;

  // Rendezvous at env.master_addr:master_port (rank 0 serves the store). `device` picks the
  // backend: cuda -> NCCL (needs a CUDA build), cpu -> store-based reduction.
  static std::unique_ptr<ProcessGroup> create(
      const DistEnv& env, const torch::Device& device,
      std::chrono::milliseconds timeout = std::chrono::minutes(5));

 protected:
  explicit ProcessGroup(DistEnv env) : env_(std::move(env)) {}
  DistEnv env_;
};

#ifdef AMKD_WITH_CUDA
// Defined in nccl_group.cpp.
std::unique_ptr<ProcessGroup> create_nccl_group(const DistEnv& env,
                                                c10::intrusive_ptr<c10d::Store> store,
                                                const torch::Device& device);
#endif

}  // namespace amkd
