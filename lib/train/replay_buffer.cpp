#include "train/replay_buffer.h"

#include <algorithm>
#include <stdexcept>

#include "data/batching.h"

namespace amkd {

void ReplayBuffer::add(const EncodedExample& example) {
  items_.push_back(example);
  if (items_.size() > capacity_) items_.pop_front();
}

std::vector<EncodedExample> ReplayBuffer::draw(size_t k, std::mt19937_64& rng) const {
  if (k > items_.size()) throw std::logic_error("ReplayBuffer::draw: not enough entries");
  const auto order = seeded_permutation(items_.size(), rng());
  std::vector<EncodedExample> out;
  for (size_t i = 0; i < k; ++i) out.push_back(items_[order[i]]);
  return out;
}

}  // namespace amkd
