#pragma once
// The one reduction point of a training step: gradients and (sum, count) losses of every rank
// are summed here before the optimizer step, in flat buckets. CUDA tensors go through NCCL
// (LibTorch's c10d ProcessGroupNCCL), CPU tensors through Gloo (c10d ProcessGroupGloo, the
// gloo compiled into the torch wheel). The rendezvous store only connects the ranks; no tensor
// passes through it. A single process needs no communication at all.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "dist/dist_env.h"

namespace c10d {
class Store;
}

namespace amkd {

struct GroupOptions {
  std::chrono::milliseconds timeout = std::chrono::minutes(5);  // each collective, and rendezvous
  int64_t bucket_bytes = 25 << 20;  // flat buffers of at most this size per all-reduce
};

class ProcessGroup {
 public:
  virtual ~ProcessGroup();
  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  const DistEnv& env() const { return env_; }
  // Where this group's tensors live (CPU for Gloo, the rank's GPU for NCCL).
  const torch::Device& device() const { return device_; }

  // Sums each tensor over all ranks, in place; every rank gets bit-identical results. Tensors
  // of one type and device are packed into flat buckets of at most bucket_bytes (a larger
  // contiguous tensor is reduced on its own, without a copy).
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors);

  // Returns when every rank has called it.
  void barrier();

  // Throws when the ranks do not hold bit-identical values of `tensors` (a checksum of each
  // rank's values is compared); `what` names them in the message.
  void check_same(const std::vector<torch::Tensor>& tensors, const std::string& what);

  // Rendezvous at env.master_addr:master_port (rank 0 serves the store). `device` picks the
  // backend: cuda -> NCCL (needs a CUDA build), cpu -> Gloo. One process: no communication.
  static std::unique_ptr<ProcessGroup> create(const DistEnv& env, const torch::Device& device,
                                              GroupOptions options = {});

 protected:
  ProcessGroup(DistEnv env, int64_t bucket_bytes, torch::Device device);
  // Sums one contiguous 1-D tensor over all ranks, in place.
  virtual void all_reduce_flat(torch::Tensor& flat) = 0;

  DistEnv env_;
  int64_t bucket_bytes_;
  torch::Device device_;

 private:
  // Every collective goes through here: it counts them in the rendezvous store (one small key
  // per rank), so that when one fails the error names the ranks that never reached it.
  void reduce_flat(torch::Tensor& flat);
  std::string stragglers();

  c10::intrusive_ptr<c10d::Store> store_;  // null for one process
  bool store_lost_ = false;
  int64_t collectives_ = 0;
};

std::unique_ptr<ProcessGroup> create_gloo_group(const DistEnv& env,
                                                c10::intrusive_ptr<c10d::Store> store,
                                                const GroupOptions& options);
#ifdef AMKD_WITH_CUDA
std::unique_ptr<ProcessGroup> create_nccl_group(const DistEnv& env,
                                                c10::intrusive_ptr<c10d::Store> store,
                                                const torch::Device& device,
                                                const GroupOptions& options);
#endif

}  // namespace amkd
