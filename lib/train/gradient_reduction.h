#pragma once
// The one point where a step's gradients become final: summed over ranks together with the
// step's (loss sum, count) totals, then divided once by the global count. Gradients before this
// call are gradients of loss *sums*, so the result does not depend on micro-batching.
#include <vector>

#include <torch/torch.h>

#include "config/recipe.h"
#include "dist/process_group.h"

namespace amkd {

struct StepTotals {
  double loss_sum = 0;
  double count = 0;
};

// Returns the global totals. Parameters without a gradient get zeros, so every rank reduces
// the same tensors. `group` may be null (one process).
StepTotals reduce_gradients(const std::vector<torch::Tensor>& parameters, StepTotals local,
                            ProcessGroup* group);

// This process's place: the recipe's dist: section (world_size > 0), else torchrun's or
// SLURM's variables; dist.master_addr and dist.master_port override the rendezvous either way.
DistEnv dist_env_for(const DistSection& dist, const EnvLookup& getenv);
DistEnv dist_env_for(const DistSection& dist);  // the process environment

// The process group of a run: none for one process, else connected with the recipe's dist:
// settings.
std::unique_ptr<ProcessGroup> connect_ranks(const DistEnv& env, const torch::Device& device,
                                            const DistSection& dist);

// Every dist.check_every steps (after `step` optimizer steps): stops the run when the ranks'
// copies of `parameters` differ.
void check_ranks_agree(ProcessGroup* group, const DistSection& dist, int64_t step,
                       const std::vector<torch::Tensor>& parameters, const std::string& what);

// Ranks agree that their set-up (recipe checks, output directory, data, models) succeeded
// before training: when one rank's set-up throws, every rank stops at once (the failing rank
// with its own error, the others with one naming it) instead of waiting dist.timeout_s in the
// first collective for a rank that is gone.
class SetupAgreement {
 public:
  explicit SetupAgreement(ProcessGroup* group) : group_(group) {}
  SetupAgreement(const SetupAgreement&) = delete;
  SetupAgreement& operator=(const SetupAgreement&) = delete;
  // This rank is ready; throws InputError when another rank's set-up failed.
  void succeeded();
  // Leaving before succeeded() (an exception): tells the other ranks this one failed.
  ~SetupAgreement();

 private:
  int first_failed(bool failed);  // all-reduces the flags; -1 when no rank failed
  ProcessGroup* group_;
  bool done_ = false;
};

}  // namespace amkd
