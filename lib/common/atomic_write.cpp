#include "common/atomic_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace amkd {
namespace {

std::string random_suffix() {
  std::random_device rd;
  return fmt::format("{:08x}", rd());
}

[[noreturn]] void fail(const std::string& what, const fs::path& path) {
  throw std::runtime_error(fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

}  // namespace

void fsync_path(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail("cannot open for fsync", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail("fsync failed for", path);
}

void write_file_atomic(const fs::path& path, std::string_view data) {
  fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  fs::path tmp = dir / fmt::format(".{}.tmp-{}", path.filename().string(), random_suffix());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) fail("cannot create", tmp);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      errno = saved;
      fail("cannot write", tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    fail("cannot flush", tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail("cannot rename into place", path);
  }
  fsync_path(dir);
}

AtomicDirectory::AtomicDirectory(fs::path final_path) : final_(std::move(final_path)) {
  if (final_.filename().empty()) final_ = final_.parent_path();  // "out/" -> "out"
  fs::path parent = final_.has_parent_path() ? final_.parent_path() : fs::path(".");
  fs::create_directories(parent);
  temp_ = parent / fmt::format(".{}.tmp-{}", final_.filename().string(), random_suffix());
  fs::create_directory(temp_);
}

AtomicDirectory::~AtomicDirectory() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
}

void AtomicDirectory::commit() {
  for (const auto& entry : fs::directory_iterator(temp_)) {
    if (entry.is_regular_file()) fsync_path(entry.path());
  }
  fsync_path(temp_);
  fs::path parent = final_.has_parent_path() ? final_.parent_path() : fs::path(".");
  fs::path old;
  if (fs::exists(final_)) {
    old = parent / fmt::format(".{}.old-{}", final_.filename().string(), random_suffix());
    fs::rename(final_, old);
  }
  try {
    fs::rename(temp_, final_);
  } catch (...) {
    if (!old.empty()) fs::rename(old, final_);
    throw;
  }
  committed_ = true;
  fsync_path(parent);
  if (!old.empty()) fs::remove_all(old);
}

}  // namespace amkd
