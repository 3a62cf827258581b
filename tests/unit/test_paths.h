#pragma once
// Where unit tests find fixtures made by the reference scripts (ctest fixtures) and scratch space.
#include <filesystem>
#include <string>

namespace amkd::test {

inline std::filesystem::path work_dir() {
  return AMKD_TEST_WORK_DIR;
}
inline std::filesystem::path source_dir() {
  return AMKD_SOURCE_DIR;
}
inline std::filesystem::path reference_models() {
  return work_dir() / "reference_models";
}

// A fresh empty directory under the work dir.
inline std::filesystem::path scratch(const std::string& name) {
  auto p = work_dir() / "scratch" / name;
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

}  // namespace amkd::test
