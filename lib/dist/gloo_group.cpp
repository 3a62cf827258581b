// The CPU backend of ProcessGroup: c10d's ProcessGroupGloo, compiled into the torch wheel.
//
// The wheel ships ProcessGroupGloo.hpp but not the gloo headers it includes; Debian's
// libgloo-dev provides them (an older gloo than the wheel's). That is sound here because this
// file only names gloo types behind std::shared_ptr (ProcessGroupGloo holds no gloo type by
// value, so its size and layout come from the c10d header alone) and calls only c10d functions
// compiled into libtorch; no gloo function, vtable or inline body is emitted from these
// headers. The test "build: gloo_group.o uses no gloo code of its own" checks the object file.
#define USE_C10D_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include <cstdlib>

#include <fmt/format.h>

#include "common/errors.h"
#include "dist/process_group.h"

namespace amkd {
namespace {

class GlooGroup : public ProcessGroup {
 public:
  GlooGroup(DistEnv env, int64_t bucket_bytes, c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo)
      : ProcessGroup(std::move(env), bucket_bytes, torch::kCPU), gloo_(std::move(gloo)) {}

 protected:
  void all_reduce_flat(torch::Tensor& flat) override {
    std::vector<torch::Tensor> one{flat};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    try {
      gloo_->allreduce(one, options)->wait();
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format(
          "rank {}: all-reduce over {} ranks failed (a rank stopped, or did not answer within "
          "dist.timeout_s): {}",
          rank(), world_size(), e.what()));
    }
  }

 private:
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo_;
};

// The address this rank's Gloo device listens on: GLOO_SOCKET_IFNAME's interface when set (as
// in PyTorch), the loopback address for a run whose master is on this machine's loopback,
// otherwise the address of this machine's host name.
std::shared_ptr<gloo::transport::Device> gloo_device(const DistEnv& env) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (env.master_addr == "localhost" || env.master_addr.rfind("127.", 0) == 0)
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

std::unique_ptr<ProcessGroup> create_gloo_group(const DistEnv& env,
                                                c10::intrusive_ptr<c10d::Store> store,
                                                const GroupOptions& options) {
  auto gloo_options = c10d::ProcessGroupGloo::Options::create(options.timeout);
  try {
    gloo_options->devices.push_back(gloo_device(env));
    auto gloo =
        c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, gloo_options);
    return std::make_unique<GlooGroup>(env, options.bucket_bytes, std::move(gloo));
  } catch (const std::exception& e) {
    throw InputError(fmt::format("rank {}: cannot connect the {} ranks with Gloo ({}): {}",
                                 env.rank, env.world_size, env.source, e.what()));
  }
}

}  // namespace amkd
