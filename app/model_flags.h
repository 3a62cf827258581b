#pragma once
// The model a command loads, from the recipe's model section, and the ranks an inference
// command (eval, generate) shares its batches with when started on several processes.
#include <memory>

#include <torch/torch.h>

#include "config/recipe.h"
#include "dist/rank_device.h"
#include "dist/shard.h"
#include "model/checkpoint.h"
#include "train/gradient_reduction.h"

namespace amkd::app {

// `key` names the section's device in errors; with several ranks, cuda means the rank's GPU.
inline LoadOptions load_options(const ModelSection& m, const DistEnv& env = {},
                                const std::string& key = "model.device") {
  return {parse_dtype(m.dtype, key.substr(0, key.find('.')) + ".dtype"),
          rank_device(m.device, env, key)};
}

// This process's place in an eval or generate run (one process: no group). Every rank loads
// the models and generates its share of the batches; rank 0 prints and writes the outputs.
struct InferenceRanks {
  DistEnv env;
  std::unique_ptr<ProcessGroup> group;
  bool writer() const { return env.rank == 0; }
  Shard shard() const { return Shard(group.get()); }
};

inline InferenceRanks connect_inference_ranks(const Recipe& recipe) {
  InferenceRanks ranks{dist_env_for(recipe.dist), nullptr};
  ranks.group = connect_ranks(
      ranks.env, rank_device(recipe.model.device, ranks.env, "model.device"), recipe.dist);
  return ranks;
}

}  // namespace amkd::app
