// The NCCL backend of ProcessGroup, built only with the CUDA parts.
#ifdef AMKD_WITH_CUDA
#define USE_C10D_NCCL 1
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

#include "dist/process_group.h"

namespace amkd {
namespace {

class NcclGroup : public ProcessGroup {
 public:
  NcclGroup(DistEnv env, c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl)
      : ProcessGroup(std::move(env)), nccl_(std::move(nccl)) {}

  void all_reduce_sum(std::vector<torch::Tensor>& tensors) override {
    if (tensors.empty()) return;
    // One flat buffer, one collective: fewer launches than one all-reduce per tensor.
    std::vector<torch::Tensor> flat;
    for (auto& t : tensors) flat.push_back(t.detach().reshape({-1}));
    std::vector<torch::Tensor> buffer = {torch::cat(flat)};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    nccl_->allreduce(buffer, options)->wait();
    int64_t offset = 0;
    torch::NoGradGuard no_grad;
    for (auto& t : tensors) {
      t.copy_(buffer[0].narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }

 private:
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl_;
};

}  // namespace

std::unique_ptr<ProcessGroup> create_nccl_group(const DistEnv& env,
                                                c10::intrusive_ptr<c10d::Store> store,
                                                const torch::Device& device) {
  auto options = c10d::ProcessGroupNCCL::Options::create();
  auto nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(std::move(store), env.rank,
                                                          env.world_size, options);
  nccl->setBoundDeviceId(device.has_index() ? device : torch::Device(torch::kCUDA, env.local_rank));
  return std::make_unique<NcclGroup>(env, std::move(nccl));
}

}  // namespace amkd
#endif
