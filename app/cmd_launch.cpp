#include <unistd.h>

#include <climits>
#include <iostream>
#include <set>

#include "command.h"
#include "dist/launcher.h"

namespace amkd::app {
namespace {

// This executable's path, so that "amkd launch --nproc 2 train r.yaml" runs this same amkd.
std::string self_path() {
  char buffer[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return "amkd";
  return std::string(buffer, static_cast<size_t>(n));
}

}  // namespace

Command add_launch_command(CLI::App& root) {
  auto o = std::make_shared<LaunchOptions>();
  CLI::App* cli = root.add_subcommand(
      "launch", "run N ranks of a command on this machine (like torchrun, without Python)");
  cli->add_option("--nproc", o->nproc, "ranks to start on this machine")->required();
  cli->add_option("--master-addr", o->master_addr, "rendezvous address")->capture_default_str();
  cli->add_option("--master-port", o->master_port, "rendezvous port (default: a free one)");
  cli->add_option("--grace", o->grace_s,
                  "seconds between SIGTERM and SIGKILL for the other ranks after one fails")
      ->capture_default_str();
  cli->prefix_command();  // the command: everything from its first word on (main.cpp drops "--")
  cli->footer(
      "Each rank gets RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR and "
      "MASTER_PORT; its output lines are prefixed with [rank R]. SIGINT, SIGTERM and SIGUSR1 are "
      "forwarded to every rank. When a rank fails the others are stopped and launch exits with "
      "the failing rank's code. An amkd command name runs this amkd.\n"
      "Examples:\n"
      "  amkd launch --nproc 2 train recipes/quickstart.yaml\n"
      "  amkd launch --nproc 4 -- amkd sft recipe.yaml --set train.batch_size=2");
  return {cli, [o, cli]() {
            o->command = cli->remaining();
            static const std::set<std::string> amkd_commands = {
                "inspect",  "score", "convert", "tokenize", "check",
                "generate", "sft",   "train",   "eval",     "init-student"};
            if (!o->command.empty() && amkd_commands.count(o->command[0]))
              o->command.insert(o->command.begin(), self_path());
            return launch_local(*o, std::cerr);
          }};
}

}  // namespace amkd::app
