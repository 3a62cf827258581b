#include "dist/process_group.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "common/errors.h"

namespace amkd {
namespace {

class SingleProcess : public ProcessGroup {
 public:
  explicit SingleProcess(DistEnv env) : ProcessGroup(std::move(env), 0, torch::kCPU) {}
  void all_reduce_sum(std::vector<torch::Tensor>&) override {}

 protected:
  void all_reduce_flat(torch::Tensor&) override {}
};

std::string collective_key(int rank) {
  return fmt::format("amkd/collectives/{}", rank);
}

}  // namespace

ProcessGroup::ProcessGroup(DistEnv env, int64_t bucket_bytes, torch::Device device)
    : env_(std::move(env)), bucket_bytes_(bucket_bytes), device_(device) {}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::reduce_flat(torch::Tensor& flat) {
  ++collectives_;
  if (store_) {
    try {
      const std::string count = std::to_string(collectives_);
      store_->set(collective_key(rank()), std::vector<uint8_t>(count.begin(), count.end()));
    } catch (const std::exception&) {
      store_.reset();  // the store's server (rank 0) is gone; the collective will say so
      store_lost_ = true;
    }
  }
  try {
    all_reduce_flat(flat);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw std::runtime_error(e.what() + stragglers());
  }
}

// " (rank R stopped answering: ...)" for every rank that has not reached this rank's current
// collective, as the store counts them. With two ranks the other one is named even when it
// reached the collective (it stopped inside it). Empty when that cannot be told.
std::string ProcessGroup::stragglers() {
  const std::string store_gone = " (rank 0, which serves the rendezvous, is not answering)";
  if (!store_) return store_lost_ ? store_gone : "";
  std::vector<std::string> behind;
  try {
    for (int r = 0; r < world_size(); ++r) {
      if (r == rank()) continue;
      int64_t reached = 0;
      if (store_->check({collective_key(r)})) {
        const std::vector<uint8_t> v = store_->get(collective_key(r));
        reached = std::stoll(std::string(v.begin(), v.end()));
      }
      if (reached < collectives_)
        behind.push_back(
            fmt::format("rank {} stopped answering: it reached collective {} of this "
                        "run, this rank is at {}",
                        r, reached, collectives_));
      else if (world_size() == 2)
        behind.push_back(fmt::format("rank {} stopped answering inside collective {}", r, reached));
    }
  } catch (const std::exception&) {
    return store_gone;
  }
  return behind.empty() ? "" : fmt::format(" ({})", fmt::join(behind, "; "));
}

void ProcessGroup::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor*> bucket;
  int64_t bytes = 0;
  auto flush = [&] {
    if (bucket.empty()) return;
    if (bucket.size() == 1 && bucket[0]->is_contiguous()) {
      torch::Tensor flat = bucket[0]->view({-1});
      reduce_flat(flat);
    } else {
      std::vector<torch::Tensor> parts;
      for (auto* t : bucket) parts.push_back(t->reshape({-1}));
      torch::Tensor flat = torch::cat(parts);
      reduce_flat(flat);
      int64_t offset = 0;
      for (auto* t : bucket) {
        t->copy_(flat.narrow(0, offset, t->numel()).view(t->sizes()));
        offset += t->numel();
      }
    }
    bucket.clear();
    bytes = 0;
  };
  for (auto& t : tensors) {
    const int64_t size = t.numel() * static_cast<int64_t>(t.element_size());
    if (!bucket.empty() && (bucket[0]->scalar_type() != t.scalar_type() ||
                            bucket[0]->device() != t.device() || bytes + size > bucket_bytes_))
      flush();
    bucket.push_back(&t);
    bytes += size;
  }
  flush();
}

void ProcessGroup::barrier() {
  std::vector<torch::Tensor> one{torch::zeros({1}, torch::TensorOptions().device(device_))};
  all_reduce_sum(one);
}

void ProcessGroup::check_same(const std::vector<torch::Tensor>& tensors, const std::string& what) {
  if (world_size() == 1) return;
  // Two sums in float64 per rank (values, and values weighted by their position in the list)
  // in that rank's slot; after the all-reduce every rank sees every rank's checksum.
  torch::NoGradGuard no_grad;
  double sum = 0, weighted = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const double s = tensors[i].to(torch::kFloat64).sum().item<double>();
    sum += s;
    weighted += s * static_cast<double>(i + 1);
  }
  torch::Tensor all = torch::zeros({world_size(), 2}, torch::kFloat64);
  all[rank()][0] = sum;
  all[rank()][1] = weighted;
  torch::Tensor flat = all.view({-1}).to(device_);
  reduce_flat(flat);
  all = flat.cpu().view({world_size(), 2});
  const torch::Tensor bits = all.view(torch::kInt64);  // bitwise: equal NaNs are the same
  for (int r = 1; r < world_size(); ++r)
    if (!torch::equal(bits[r], bits[0]))
      throw std::runtime_error(fmt::format(
          "ranks diverged: the {} of rank {} (checksum {:.17g}) differ from rank 0's ({:.17g})",
          what, r, all[r][0].item<double>(), all[0][0].item<double>()));
}

std::unique_ptr<ProcessGroup> ProcessGroup::create(const DistEnv& env, const torch::Device& device,
                                                   GroupOptions options) {
  if (env.world_size == 1) return std::make_unique<SingleProcess>(env);
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<uint16_t>(env.master_port);
  store_options.isServer = env.rank == 0;
  store_options.numWorkers = env.world_size;
  store_options.timeout = options.timeout;
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
  } catch (const std::exception& e) {
    throw InputError(fmt::format("rank {}: cannot reach the rendezvous at {}:{} ({}): {}", env.rank,
                                 env.master_addr, env.master_port, env.source, e.what()));
  }
  std::unique_ptr<ProcessGroup> group;
  if (device.is_cuda()) {
#ifdef AMKD_WITH_CUDA
    group = create_nccl_group(env, store, device, options);
#else
    throw InputError("this amkd was built without CUDA: no NCCL process group");
#endif
  } else {
    group = create_gloo_group(env, store, options);
  }
  group->store_ = store;
  return group;
}

}  // namespace amkd
