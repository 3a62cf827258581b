#include "data/batching.h"

#include <algorithm>
#include <random>
#include <stdexcept>

namespace amkd {
namespace {

// Uniform integer in [0, bound) without modulo bias.
uint64_t below(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x;
  do x = rng();
  while (x >= limit);
  return x % bound;
}

}  // namespace

std::vector<size_t> seeded_permutation(size_t n, uint64_t seed) {
  std::vector<size_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = i;
  std::mt19937_64 rng(seed);
  for (size_t i = n; i > 1; --i) std::swap(p[i - 1], p[below(rng, i)]);
  return p;
}

Split split_train_valid(size_t n, size_t valid_count, uint64_t seed) {
  valid_count = std::min(valid_count, n > 0 ? n - 1 : 0);
  const auto p = seeded_permutation(n, seed ^ 0x5eed5eedULL);
  Split s;
  s.valid.assign(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(valid_count));
  s.train.assign(p.begin() + static_cast<std::ptrdiff_t>(valid_count), p.end());
  std::sort(s.valid.begin(), s.valid.end());
  std::sort(s.train.begin(), s.train.end());
  return s;
}

BatchSampler::BatchSampler(size_t n, int64_t batch_size, uint64_t seed,
                           std::vector<int64_t> lengths, int rank, int world_size)
    : n_(n),
      batch_size_(batch_size),
      seed_(seed),
      lengths_(std::move(lengths)),
      rank_(rank),
      world_size_(world_size) {
  if (batch_size_ <= 0 || world_size_ <= 0 || rank_ < 0 || rank_ >= world_size_)
    throw std::invalid_argument("BatchSampler: bad batch size or rank");
  if (!lengths_.empty() && lengths_.size() != n_)
    throw std::invalid_argument("BatchSampler: one length per example");
  if (batches_per_epoch() == 0)
    throw std::invalid_argument("BatchSampler: fewer examples than one batch per rank");
}

int64_t BatchSampler::batches_per_epoch() const {
  return static_cast<int64_t>(n_) / (batch_size_ * world_size_);
}

std::vector<std::vector<size_t>> BatchSampler::epoch_batches(int64_t epoch) const {
  std::vector<size_t> order =
      seeded_permutation(n_, seed_ * 1000003ULL + static_cast<uint64_t>(epoch));
  const int64_t global = batch_size_ * world_size_;
  if (!lengths_.empty()) {  // sort within windows, so neighbours in a batch have similar lengths
    const size_t window = static_cast<size_t>(global) * 50;
    for (size_t start = 0; start < order.size(); start += window) {
      auto end =
          order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + window));
      std::stable_sort(order.begin() + static_cast<std::ptrdiff_t>(start), end,
                       [&](size_t a, size_t b) { return lengths_[a] < lengths_[b]; });
    }
  }
  std::vector<int64_t> batch_order(static_cast<size_t>(batches_per_epoch()));
  for (size_t b = 0; b < batch_order.size(); ++b) batch_order[b] = static_cast<int64_t>(b);
  if (!lengths_.empty()) {  // grouped batches in a seeded order, not shortest first
    const auto shuffle =
        seeded_permutation(batch_order.size(), seed_ * 7919ULL + static_cast<uint64_t>(epoch) + 1);
    for (size_t b = 0; b < shuffle.size(); ++b) batch_order[b] = static_cast<int64_t>(shuffle[b]);
  }
  std::vector<std::vector<size_t>> mine;  // this rank's slice of every global batch
  for (int64_t b : batch_order) {
    const auto first = order.begin() + b * global + rank_ * batch_size_;
    mine.emplace_back(first, first + batch_size_);
  }
  return mine;
}

std::vector<size_t> BatchSampler::next() {
  if (cursor_.batch >= batches_per_epoch()) {
    ++cursor_.epoch;
    cursor_.batch = 0;
  }
  return epoch_batches(cursor_.epoch)[cursor_.batch++];
}

}  // namespace amkd
