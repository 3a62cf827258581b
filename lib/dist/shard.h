#pragma once
// Inference work (eval, generate) split over the ranks of a run, merged into the output one
// process would write. Items are handled in batches exactly as one process batches them; batch
// b belongs to rank b % world, so every batch is computed with the same shapes and contents
// whatever the rank count, and the merged output is the single-process one.
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "dist/process_group.h"

namespace amkd {

class Shard {
 public:
  Shard() = default;  // one process: every batch is this one's
  explicit Shard(ProcessGroup* group) : group_(group) {}
  bool owns_batch(size_t batch_index) const {
    return group_ == nullptr || batch_index % static_cast<size_t>(group_->world_size()) ==
                                    static_cast<size_t>(group_->rank());
  }
  bool writes_outputs() const { return group_ == nullptr || group_->rank() == 0; }

  // Every rank ends with every list. Each list is filled on the rank that owns its batch and
  // empty on the others.
  void share(std::vector<std::vector<int64_t>>& lists) const;
  // Every rank ends with every row of `values` [items, k]: each row is filled on the rank that
  // owns its batch and zero on the others.
  void share(torch::Tensor& values) const;

 private:
  ProcessGroup* group_ = nullptr;
};

}  // namespace amkd
