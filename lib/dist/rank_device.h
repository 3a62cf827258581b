#pragma once
// The device a rank works on. "cuda" without an index means this rank's GPU, cuda:LOCAL_RANK,
// and becomes the current CUDA device before any model is built (so a node's ranks do not all
// land on cuda:0 while NCCL binds cuda:LOCAL_RANK); an explicit "cuda:N" is kept (a teacher on
// its own GPU). `key` names the recipe key in errors.
#include <string>

#include <torch/torch.h>

#include "dist/dist_env.h"

namespace amkd {

torch::Device rank_device(const std::string& name, const DistEnv& env, const std::string& key);

}  // namespace amkd
