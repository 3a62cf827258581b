// The NCCL backend of ProcessGroup, built only with the CUDA parts.
#ifdef AMKD_WITH_CUDA
#define USE_C10D_NCCL 1
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

#include <fmt/format.h>

#include "common/errors.h"
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
    try {
      nccl_->allreduce(one, options)->wait();
    } catch (const std::exception& e) {
      const std::string what = e.what();
      // NCCL refuses a communicator where two ranks hold the same GPU (seen: "Duplicate GPU
      // detected : rank 1 and rank 0 both on CUDA device 60"); that is the run's set-up.
      if (what.find("Duplicate GPU") != std::string::npos)
        throw InputError(fmt::format(
            "rank {}: another rank of this run uses the same GPU ({}); NCCL needs one GPU per "
            "rank: give the device without an index (device: cuda) so that each rank takes GPU "
            "LOCAL_RANK, and start at most as many ranks per machine as it has GPUs",
            rank(), device().str()));
      throw std::runtime_error(fmt::format(
          "rank {}: all-reduce over {} ranks failed (a rank stopped, or did not answer within "
          "dist.timeout_s): {}",
          rank(), world_size(), what));
    }
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
