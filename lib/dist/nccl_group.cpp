// The NCCL backend of ProcessGroup, built only with the CUDA parts.
#ifdef AMKD_WITH_CUDA
#define USE_C10D_NCCL 1
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

#include "dist/process_group.h"

namespace amkd {
namespace {

class NcclGroup : public ProcessGroup {
 public:
  NcclGroup(DistEnv env, int64_t bucket_bytes, torch::Device device,
            c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl)
      : ProcessGroup(std::move(env), bucket_bytes, device), nccl_(std::move(nccl)) {}

 protected:
  void all_reduce_flat(torch::Tensor& flat) override {
    std::vector<torch::Tensor> one{flat};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    nccl_->allreduce(one, options)->wait();
  }

 private:
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl_;
};

}  // namespace

std::unique_ptr<ProcessGroup> create_nccl_group(const DistEnv& env,
                                                c10::intrusive_ptr<c10d::Store> store,
                                                const torch::Device& device,
                                                const GroupOptions& group_options) {
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = group_options.timeout;
  auto nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(std::move(store), env.rank,
                                                          env.world_size, options);
  const torch::Device bound =
      device.has_index() ? device : torch::Device(torch::kCUDA, env.local_rank);
  nccl->setBoundDeviceId(bound);
  return std::make_unique<NcclGroup>(env, group_options.bucket_bytes, bound, std::move(nccl));
}

}  // namespace amkd
#endif
