#include "dist/process_group.h"

#include <cstring>
#include <thread>

#include <fmt/format.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "common/errors.h"

namespace amkd {
namespace {

class SingleProcess : public ProcessGroup {
 public:
  explicit SingleProcess(DistEnv env) : ProcessGroup(std::move(env)) {}
  void all_reduce_sum(std::vector<torch::Tensor>&) override {}
};

// Each rank publishes its tensors under a per-call key, reads every rank's, and sums them in
// rank order (so all ranks compute the same floating-point result); the last reader of a
// call's keys deletes them so the store does not grow.
class StoreGroup : public ProcessGroup {
 public:
  StoreGroup(DistEnv env, c10::intrusive_ptr<c10d::Store> store)
      : ProcessGroup(std::move(env)), store_(std::move(store)) {}

  // Rank 0 serves the store: it stays until every rank has finished with it.
  ~StoreGroup() override {
    try {
      int64_t done = store_->add("amkd/exit", 1);
      while (rank() == 0 && done < world_size()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        done = store_->add("amkd/exit", 0);
      }
    } catch (const std::exception&) {
      // A peer that died already took the store with it; nothing left to wait for.
    }
  }

  void all_reduce_sum(std::vector<torch::Tensor>& tensors) override {
    const std::string prefix = fmt::format("amkd/allreduce/{}/", call_++);
    std::vector<torch::Tensor> flat;
    for (auto& t : tensors) flat.push_back(t.detach().to(torch::kCPU).contiguous().view({-1}));
    torch::Tensor mine =
        flat.empty() ? torch::empty({0}, torch::kUInt8) : torch::cat(flat).view(torch::kUInt8);
    const uint8_t* bytes = mine.data_ptr<uint8_t>();
    store_->set(prefix + std::to_string(rank()), std::vector<uint8_t>(bytes, bytes + mine.numel()));
    torch::Tensor sum;
    for (int r = 0; r < world_size(); ++r) {
      std::vector<uint8_t> data = store_->get(prefix + std::to_string(r));
      if (static_cast<int64_t>(data.size()) != mine.numel())
        throw std::runtime_error(fmt::format("all_reduce: rank {} sent {} bytes, rank {} has {}", r,
                                             data.size(), rank(), mine.numel()));
      torch::Tensor part = torch::empty_like(mine);
      std::memcpy(part.data_ptr(), data.data(), data.size());
      part = part.view(flat.empty() ? torch::kFloat32 : flat[0].scalar_type());
      sum = r == 0 ? part : sum + part;
    }
    if (store_->add(prefix + "read", 1) == world_size()) {
      for (int r = 0; r < world_size(); ++r) store_->deleteKey(prefix + std::to_string(r));
      store_->deleteKey(prefix + "read");
    }
    int64_t offset = 0;
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < tensors.size(); ++i) {
      const int64_t n = flat[i].numel();
      tensors[i].copy_(sum.narrow(0, offset, n).view(tensors[i].sizes()));
      offset += n;
    }
  }

 private:
  c10::intrusive_ptr<c10d::Store> store_;
  int64_t call_ = 0;
};

}  // namespace

std::unique_ptr<ProcessGroup> ProcessGroup::create(const DistEnv& env, const torch::Device& device,
                                                   std::chrono::milliseconds timeout) {
  if (env.world_size == 1) return std::make_unique<SingleProcess>(env);
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(env.master_port);
  options.isServer = env.rank == 0;
  options.numWorkers = env.world_size;
  options.timeout = timeout;
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
  } catch (const std::exception& e) {
    throw InputError(fmt::format("rank {}: cannot reach the rendezvous at {}:{} ({}): {}", env.rank,
                                 env.master_addr, env.master_port, env.source, e.what()));
  }
  if (device.is_cuda()) {
#ifdef AMKD_WITH_CUDA
    return create_nccl_group(env, store, device);
#else
    throw InputError("this amkd was built without CUDA: no NCCL process group");
#endif
  }
  // The store-based reduction orders ranks with the same element types.
  return std::make_unique<StoreGroup>(env, store);
}

}  // namespace amkd
