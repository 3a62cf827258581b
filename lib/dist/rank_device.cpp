#include "dist/rank_device.h"

#include <fmt/format.h>

#include "common/errors.h"

#ifdef AMKD_WITH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace amkd {

torch::Device rank_device(const std::string& name, const DistEnv& env, const std::string& key) {
  torch::Device device = torch::kCPU;
  try {
    device = torch::Device(name);
  } catch (const std::exception&) {
    throw InputError(fmt::format("{}: '{}' is not a device (cpu, cuda or cuda:N)", key, name));
  }
  if (!device.is_cuda()) return device;
  const int64_t gpus = static_cast<int64_t>(torch::cuda::device_count());
  const int64_t index = device.has_index() ? device.index() : env.local_rank;
  if (index >= gpus)
    throw InputError(
        fmt::format("{}: rank {} (local rank {}) needs GPU {}, but this machine has {} GPU(s){}",
                    key, env.rank, env.local_rank, index, gpus,
                    device.has_index() ? "" : ": start at most one rank per GPU on each machine"));
#ifdef AMKD_WITH_CUDA
  if (!device.has_index()) c10::cuda::set_device(static_cast<c10::DeviceIndex>(index));
#endif
  return {torch::kCUDA, static_cast<c10::DeviceIndex>(index)};
}

}  // namespace amkd
