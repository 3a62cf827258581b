#include "dist/launcher.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "common/errors.h"

namespace amkd {
namespace {

int signal_pipe[2] = {-1, -1};

void on_signal(int sig) {
  const int saved = errno;
  const char byte = static_cast<char>(sig);
  [[maybe_unused]] ssize_t n = ::write(signal_pipe[1], &byte, 1);
  errno = saved;
}

struct Rank {
  pid_t pid = -1;
  int out = -1, err = -1;          // read ends of the rank's stdout and stderr
  std::string out_line, err_line;  // a partial line not yet written
  bool running = true;
  int code = 0;
};

// Writes every complete line of `pending` (all of it when `flush`) to fd with the prefix.
void emit_lines(std::string& pending, const std::string& prefix, int fd, bool flush) {
  size_t start = 0;
  for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string line = prefix + pending.substr(start, nl + 1 - start);
    [[maybe_unused]] ssize_t n = ::write(fd, line.data(), line.size());
  }
  pending.erase(0, start);
  if (flush && !pending.empty()) {
    const std::string line = prefix + pending + "\n";
    [[maybe_unused]] ssize_t n = ::write(fd, line.data(), line.size());
    pending.clear();
  }
}

// Reads what is available on fd into pending; returns false at end of file.
bool drain(int fd, std::string& pending) {
  char buffer[65536];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n > 0) {
    pending.append(buffer, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

[[noreturn]] void exec_rank(const LaunchOptions& o, int rank, int port, int out, int err) {
  ::setpgid(0, 0);  // the launcher forwards terminal signals; the rank must not get them twice
  ::dup2(out, STDOUT_FILENO);
  ::dup2(err, STDERR_FILENO);
  const std::string world = std::to_string(o.nproc), r = std::to_string(rank);
  ::setenv("RANK", r.c_str(), 1);
  ::setenv("LOCAL_RANK", r.c_str(), 1);
  ::setenv("WORLD_SIZE", world.c_str(), 1);
  ::setenv("LOCAL_WORLD_SIZE", world.c_str(), 1);
  ::setenv("MASTER_ADDR", o.master_addr.c_str(), 1);
  ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  std::vector<char*> argv;
  for (const auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  const std::string msg =
      fmt::format("error: cannot run '{}': {}\n", o.command[0], std::strerror(errno));
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, msg.data(), msg.size());
  ::_exit(127);
}

}  // namespace

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error(fmt::format("launch: no free port: {}", std::strerror(errno)));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

int launch_local(const LaunchOptions& o, std::ostream& log) {
  if (o.nproc < 1 || o.nproc > 1024)
    throw InputError(fmt::format("launch: --nproc {} is not between 1 and 1024", o.nproc));
  if (o.command.empty()) throw InputError("launch: give the command to run after the options");
  const int port = o.master_port > 0 ? o.master_port : free_port();
  if (::pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
    throw std::runtime_error("launch: cannot create a pipe");
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGUSR1}) ::sigaction(sig, &action, nullptr);

  std::vector<Rank> ranks(static_cast<size_t>(o.nproc));
  for (int r = 0; r < o.nproc; ++r) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
      throw std::runtime_error("launch: cannot create a pipe");
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(fmt::format("launch: fork: {}", std::strerror(errno)));
    if (pid == 0) exec_rank(o, r, port, out[1], err[1]);
    ::close(out[1]);
    ::close(err[1]);
    ranks[r].pid = pid;
    ranks[r].out = out[0];
    ranks[r].err = err[0];
  }
  log << fmt::format("launch: {} rank(s) of '{}', rendezvous {}:{}\n", o.nproc, o.command[0],
                     o.master_addr, port)
      << std::flush;

  using Clock = std::chrono::steady_clock;
  int failed_rank = -1, result = 0;
  Clock::time_point kill_at{};
  bool kill_pending = false;
  auto signal_all = [&](int sig) {
    for (auto& k : ranks)
      if (k.running) ::kill(k.pid, sig);
  };
  for (;;) {
    std::vector<pollfd> fds{{signal_pipe[0], POLLIN, 0}};
    std::vector<std::pair<size_t, bool>> owner{{0, false}};  // (rank, is stderr)
    for (size_t r = 0; r < ranks.size(); ++r) {
      if (ranks[r].out >= 0) fds.push_back({ranks[r].out, POLLIN, 0}), owner.push_back({r, false});
      if (ranks[r].err >= 0) fds.push_back({ranks[r].err, POLLIN, 0}), owner.push_back({r, true});
    }
    bool any_running = false;
    for (const auto& k : ranks) any_running = any_running || k.running;
    if (fds.size() == 1 && !any_running) break;
    ::poll(fds.data(), fds.size(), 200);
    if (fds[0].revents & POLLIN) {
      char sig;
      while (::read(signal_pipe[0], &sig, 1) == 1) {
        log << fmt::format("launch: forwarding {} to the ranks\n", strsignal(sig)) << std::flush;
        signal_all(sig);
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      auto& k = ranks[owner[i].first];
      int& fd = owner[i].second ? k.err : k.out;
      std::string& pending = owner[i].second ? k.err_line : k.out_line;
      const std::string prefix = fmt::format("[rank {}] ", owner[i].first);
      const int target = owner[i].second ? STDERR_FILENO : STDOUT_FILENO;
      const bool open = drain(fd, pending);
      emit_lines(pending, prefix, target, !open);
      if (!open) {
        ::close(fd);
        fd = -1;
      }
    }
    for (size_t r = 0; r < ranks.size(); ++r) {
      auto& k = ranks[r];
      int status = 0;
      if (!k.running || ::waitpid(k.pid, &status, WNOHANG) != k.pid) continue;
      k.running = false;
      k.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (k.code == 0) continue;
      log << fmt::format("launch: rank {} exited with code {}{}\n", r, k.code,
                         failed_rank < 0 ? "; stopping the other ranks" : "")
          << std::flush;
      if (failed_rank < 0) {
        failed_rank = static_cast<int>(r);
        result = k.code;
        signal_all(SIGTERM);
        kill_at = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.grace_s * 1000));
        kill_pending = true;
      }
    }
    if (kill_pending && Clock::now() >= kill_at) {
      signal_all(SIGKILL);
      kill_pending = false;
    }
  }
  for (int sig : {SIGINT, SIGTERM, SIGUSR1}) ::signal(sig, SIG_DFL);
  ::close(signal_pipe[0]);
  ::close(signal_pipe[1]);
  return result;
}

}  // namespace amkd
