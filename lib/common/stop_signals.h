#pragma once
// Signals that end a training run cleanly: SIGTERM, SIGUSR1 (what SLURM sends ahead of a time
// limit with --signal=USR1@SECONDS) and a first SIGINT ask the run to stop after its current
// step; it then writes a checkpoint and the process exits with 128 + the signal's number. A
// second SIGINT exits at once (130), without a checkpoint.
#include <stdexcept>
#include <string>

namespace amkd {

class StopSignals {
 public:
  StopSignals();  // installs the handlers (the previous ones come back on destruction)
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  // The signal that asked to stop, or 0.
  static int requested();
};

// "SIGTERM", "SIGUSR1", "SIGINT".
std::string signal_name(int signal);

// Thrown once a run has stopped for a signal and saved its checkpoint; main() exits with
// exit_code().
class StoppedBySignal : public std::runtime_error {
 public:
  explicit StoppedBySignal(int signal);
  int signal() const { return signal_; }
  int exit_code() const { return 128 + signal_; }

 private:
  int signal_;
};

}  // namespace amkd
