#pragma once
// `amkd launch`: starts N ranks of a command on this machine with torchrun's variables (RANK,
// LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), prefixes their output
// lines with "[rank R] ", forwards SIGINT, SIGTERM and SIGUSR1 to them, and when one rank fails
// stops the others and returns the failing rank's exit code (128 + N for a signal N).
#include <ostream>
#include <string>
#include <vector>

namespace amkd {

struct LaunchOptions {
  int nproc = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;               // 0: a free port on this machine
  std::vector<std::string> command;  // program and its arguments (searched on PATH)
  double grace_s = 10;               // after a failure: SIGTERM, then SIGKILL after this long
};

// Runs until every rank has exited; returns 0 when all succeeded. Messages of the launcher itself
// go to `log` prefixed with "launch: ".
int launch_local(const LaunchOptions& options, std::ostream& log);

// A TCP port that is free on the loopback interface right now.
int free_port();

}  // namespace amkd
