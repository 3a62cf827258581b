#include "common/stop_signals.h"

#include <unistd.h>

#include <csignal>

#include <fmt/format.h>

namespace amkd {
namespace {

volatile std::sig_atomic_t g_requested = 0;
struct sigaction g_previous[3];
constexpr int kSignals[3] = {SIGTERM, SIGUSR1, SIGINT};

extern "C" void on_stop_signal(int signal) {
  if (signal == SIGINT && g_requested == SIGINT) _exit(128 + SIGINT);  // the second Ctrl-C
  if (g_requested == 0) g_requested = signal;
}

}  // namespace

StopSignals::StopSignals() {
  g_requested = 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // a signal does not break the system calls of the step
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &action, &g_previous[i]);
}

StopSignals::~StopSignals() {
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &g_previous[i], nullptr);
}

int StopSignals::requested() {
  return g_requested;
}

std::string signal_name(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGINT:
      return "SIGINT";
    default:
      return fmt::format("signal {}", signal);
  }
}

StoppedBySignal::StoppedBySignal(int signal)
    : std::runtime_error(fmt::format("stopped by {}", signal_name(signal))), signal_(signal) {}

}  // namespace amkd
