#pragma once
// The sampler of a training run: each rank draws train.batch_size x train.grad_accum sequences
// per optimizer step (length-grouped with data.length_grouping).
#include "config/recipe.h"
#include "data/batching.h"
#include "data/training_set.h"
#include "dist/dist_env.h"

namespace amkd {

// InputError when the training set cannot fill one step on every rank.
BatchSampler step_sampler(const EncodedSet& train, const Recipe& recipe, const DistEnv& env);

}  // namespace amkd
