#include "dist/shard.h"

namespace amkd {
namespace {

// Sums a CPU tensor over the ranks, on the group's device (NCCL reduces GPU tensors only).
torch::Tensor summed(ProcessGroup& group, const torch::Tensor& t) {
  std::vector<torch::Tensor> one{t.to(group.device()).contiguous()};
  group.all_reduce_sum(one);
  return one[0].cpu();
}

}  // namespace

void Shard::share(std::vector<std::vector<int64_t>>& lists) const {
  if (group_ == nullptr) return;
  const auto n = static_cast<int64_t>(lists.size());
  // Lengths first (a list's owner contributes its length, the others zero), then the tokens at
  // offsets every rank now agrees on; sums of one non-zero term and zeros are exact.
  std::vector<int64_t> own(lists.size());
  for (size_t i = 0; i < lists.size(); ++i) own[i] = static_cast<int64_t>(lists[i].size());
  const torch::Tensor lengths = summed(*group_, torch::tensor(own, torch::kInt64));
  const int64_t* len = lengths.data_ptr<int64_t>();
  int64_t total = 0;
  for (int64_t i = 0; i < n; ++i) total += len[i];
  torch::Tensor flat = torch::zeros({std::max<int64_t>(total, 1)}, torch::kInt64);
  int64_t* out = flat.data_ptr<int64_t>();
  int64_t offset = 0;
  for (int64_t i = 0; i < n; ++i) {
    std::copy(lists[i].begin(), lists[i].end(), out + offset);
    offset += len[i];
  }
  flat = summed(*group_, flat);
  out = flat.data_ptr<int64_t>();
  offset = 0;
  for (int64_t i = 0; i < n; ++i) {
    lists[i].assign(out + offset, out + offset + len[i]);
    offset += len[i];
  }
}

void Shard::share(torch::Tensor& values) const {
  if (group_ == nullptr) return;
  values = summed(*group_, values).to(values.device());
}

}  // namespace amkd
