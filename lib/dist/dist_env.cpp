#include "dist/dist_env.h"

#include <cstdlib>

#include <fmt/format.h>

#include "common/errors.h"

namespace amkd {
namespace {

int int_var(const EnvLookup& getenv, const char* name, int min) {
  const char* v = getenv(name);
  char* end = nullptr;
  const long x = v == nullptr ? 0 : std::strtol(v, &end, 10);
  if (v == nullptr || *v == '\0' || *end != '\0' || x < min || x > 1 << 30)
    throw InputError(
        fmt::format("environment variable {}='{}' is not an integer >= {}", name, v ? v : "", min));
  return static_cast<int>(x);
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
  const size_t comma = nodelist.find(',');
  const size_t bracket = nodelist.find('[');
  if (bracket == std::string::npos || (comma != std::string::npos && comma < bracket))
    return nodelist.substr(0, comma);
  const size_t end = nodelist.find_first_of("-,]", bracket + 1);
  if (end == std::string::npos)
    throw InputError(fmt::format("SLURM node list '{}' is malformed", nodelist));
  return nodelist.substr(0, bracket) + nodelist.substr(bracket + 1, end - bracket - 1);
}

DistEnv discover_dist_env(const EnvLookup& getenv) {
  DistEnv env;
  if (getenv("WORLD_SIZE") != nullptr && getenv("RANK") != nullptr) {
    env.source = "torchrun";
    env.world_size = int_var(getenv, "WORLD_SIZE", 1);
    env.rank = int_var(getenv, "RANK", 0);
    env.local_rank = getenv("LOCAL_RANK") ? int_var(getenv, "LOCAL_RANK", 0) : 0;
  } else if (getenv("SLURM_PROCID") != nullptr && getenv("SLURM_NTASKS") != nullptr) {
    env.source = "slurm";
    env.world_size = int_var(getenv, "SLURM_NTASKS", 1);
    env.rank = int_var(getenv, "SLURM_PROCID", 0);
    env.local_rank = getenv("SLURM_LOCALID") ? int_var(getenv, "SLURM_LOCALID", 0) : 0;
    const char* nodes = getenv("SLURM_STEP_NODELIST") ? getenv("SLURM_STEP_NODELIST")
                                                      : getenv("SLURM_JOB_NODELIST");
    if (nodes != nullptr && getenv("MASTER_ADDR") == nullptr)
      env.master_addr = first_slurm_host(nodes);
    // Every task of a job derives the same port from the job id (two jobs sharing a first node
    // get different ones); MASTER_PORT, when set, wins below.
    if (getenv("SLURM_JOB_ID") != nullptr)
      env.master_port = 20000 + int_var(getenv, "SLURM_JOB_ID", 0) % 40000;
  } else {
    return env;
  }
  if (env.rank >= env.world_size)
    throw InputError(fmt::format("rank {} is not below the world size {} ({})", env.rank,
                                 env.world_size, env.source));
  if (const char* addr = getenv("MASTER_ADDR"); addr != nullptr && *addr != '\0')
    env.master_addr = addr;
  if (getenv("MASTER_PORT") != nullptr) env.master_port = int_var(getenv, "MASTER_PORT", 1);
  if (env.master_port > 65535)
    throw InputError(fmt::format("MASTER_PORT {} is not a port", env.master_port));
  return env;
}

DistEnv discover_dist_env() {
  return discover_dist_env([](const char* name) { return std::getenv(name); });
}

}  // namespace amkd
