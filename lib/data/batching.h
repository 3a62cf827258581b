#pragma once
// Deterministic data order for training: a seeded train/validation split, per-epoch shuffles
// drawn from (seed, epoch), optional length grouping, sharding by rank, and a cursor that can be
// saved and restored so a resumed run continues with the next batch it would have drawn.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace amkd {

// A permutation of 0..n-1 from `seed` (Fisher-Yates over mt19937_64 with rejection sampling:
// the same on every platform, unlike std::shuffle).
std::vector<size_t> seeded_permutation(size_t n, uint64_t seed);

struct Split {
  std::vector<size_t> train, valid;
};
// `valid_count` examples (at most n - 1) go to validation, chosen by the seed.
Split split_train_valid(size_t n, size_t valid_count, uint64_t seed);

struct DataCursor {
  int64_t epoch = 0;
  int64_t batch = 0;  // global batches of this epoch already taken
};

// Draws global batches of batch_size x world_size examples; rank r takes the r-th slice of
// batch_size. The batches (and their length grouping) depend on the global batch only, so N ranks
// with batch b see exactly the examples one process with batch N x b sees, in the same order.
class BatchSampler {
 public:
  // `lengths` (one per example) enables length grouping when non-empty: examples are sorted by
  // length within windows of 50 global batches, so a batch pads little, and the batch order is
  // shuffled.
  BatchSampler(size_t n, int64_t batch_size, uint64_t seed, std::vector<int64_t> lengths = {},
               int rank = 0, int world_size = 1);

  // Indices of the next batch of this rank (moving to the next epoch when one ends).
  std::vector<size_t> next();
  int64_t batches_per_epoch() const;  // global batches; the last partial one of an epoch is dropped
  const DataCursor& cursor() const { return cursor_; }
  void restore(const DataCursor& cursor) { cursor_ = cursor; }

 private:
  std::vector<std::vector<size_t>> epoch_batches(int64_t epoch) const;

  size_t n_;
  int64_t batch_size_;
  uint64_t seed_;
  std::vector<int64_t> lengths_;
  int rank_, world_size_;
  DataCursor cursor_;
};

}  // namespace amkd
