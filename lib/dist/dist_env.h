#pragma once
// Where this process sits in a multi-process run: from torchrun's variables (RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT) or, under srun, SLURM's (SLURM_PROCID, SLURM_NTASKS,
// SLURM_LOCALID, the first node of SLURM_STEP_NODELIST/SLURM_JOB_NODELIST, a port derived from
// SLURM_JOB_ID). Neither: one process. A recipe's dist: section comes first
// (train/gradient_reduction.h, dist_env_for).
#include <functional>
#include <string>

namespace amkd {

struct DistEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string source = "single process";  // "torchrun", "slurm" or "single process"
};

using EnvLookup = std::function<const char*(const char*)>;

// Throws InputError naming the variable when one is present but unusable.
DistEnv discover_dist_env(const EnvLookup& getenv);
DistEnv discover_dist_env();  // the process environment

// First host of a SLURM node list: "gpu[07-09,12],cpu1" -> "gpu07".
std::string first_slurm_host(const std::string& nodelist);

}  // namespace amkd
