#pragma once
// DistiLLM's replay buffer of student outputs: first in, first out at `capacity`; a draw takes
// k distinct entries uniformly with the trainer's generator.
#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "tokenizer/prompt_template.h"

namespace amkd {

class ReplayBuffer {
 public:
  explicit ReplayBuffer(size_t capacity) : capacity_(capacity) {}
  void add(const EncodedExample& example);
  std::vector<EncodedExample> draw(size_t k, std::mt19937_64& rng) const;
  size_t size() const { return items_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  size_t capacity_;
  std::deque<EncodedExample> items_;
};

}  // namespace amkd
