#pragma once
// Atomic writes: readers see either the old state or the complete new one, never a torn file.
#include <filesystem>
#include <string>
#include <string_view>

namespace amkd {

// Writes `data` to `path` through a temporary file in the same directory, fsync, rename.
void write_file_atomic(const std::filesystem::path& path, std::string_view data);

// fsyncs a file or directory (directories make a rename durable).
void fsync_path(const std::filesystem::path& path);

// A directory that appears at its final path only when commit() succeeds: content is written
// into a hidden sibling temp directory, fsynced, then renamed over. An existing final directory
// is replaced only at the moment of the rename (the old one is moved aside, then deleted).
// Without commit() the temp directory is removed.
class AtomicDirectory {
 public:
  explicit AtomicDirectory(std::filesystem::path final_path);
  ~AtomicDirectory();
  AtomicDirectory(const AtomicDirectory&) = delete;
  AtomicDirectory& operator=(const AtomicDirectory&) = delete;

  const std::filesystem::path& temp_path() const { return temp_; }
  void commit();

 private:
  std::filesystem::path final_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

}  // namespace amkd
