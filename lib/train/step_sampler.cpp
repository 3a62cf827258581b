#include "train/step_sampler.h"

#include <fmt/format.h>

#include "common/errors.h"

namespace amkd {

BatchSampler step_sampler(const EncodedSet& train, const Recipe& recipe, const DistEnv& env) {
  const TrainSection& t = recipe.train;
  // Checked before multiplying: a recipe's batch sizes can be any 64-bit integer.
  constexpr int64_t kMaxStepBatch = int64_t{1} << 40;
  if (t.batch_size > kMaxStepBatch / t.grad_accum / env.world_size)
    throw InputError(fmt::format(
        "train.batch_size {} x train.grad_accum {} x {} rank(s) is too large (at most 2^40 "
        "sequences a step)",
        t.batch_size, t.grad_accum, env.world_size));
  const int64_t step_batch = t.batch_size * t.grad_accum;
  if (static_cast<int64_t>(train.examples.size()) < step_batch * env.world_size)
    throw InputError(fmt::format(
        "data.train: {} training examples are fewer than one step's batch (train.batch_size {} x "
        "train.grad_accum {} x {} rank(s))",
        train.examples.size(), t.batch_size, t.grad_accum, env.world_size));
  std::vector<int64_t> lengths;
  if (recipe.data.length_grouping)
    for (const auto& e : train.examples) lengths.push_back(static_cast<int64_t>(e.ids.size()));
  return BatchSampler(train.examples.size(), step_batch, static_cast<uint64_t>(t.seed), lengths,
                      env.rank, env.world_size);
}

}  // namespace amkd
