#pragma once
// The safetensors format (8-byte little-endian header length, JSON header, raw data), read
// through a memory mapping and treated as untrusted: every offset, size and dtype is checked
// before any byte of tensor data is touched.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "common/mapped_file.h"

namespace amkd {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // as in the file: "F32", "BF16", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // offsets inside the data section
  uint64_t end = 0;
};

class SafetensorsFile {
 public:
  // Maps and validates `path`; throws InputError naming the file and the problem.
  explicit SafetensorsFile(const std::string& path);

  const std::string& path() const { return map_.path(); }
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const SafetensorsEntry* find(const std::string& name) const;
  // A fresh (owning, contiguous) CPU tensor with the stored dtype.
  torch::Tensor load(const SafetensorsEntry& entry) const;

 private:
  MappedFile map_;
  uint64_t data_start_ = 0;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// Header limit: real headers are well under this; a larger one is refused as malformed.
constexpr uint64_t kMaxSafetensorsHeader = 100ull << 20;

// Writes tensors (any device/dtype; written as they are, contiguous) in the given order.
// Writes `path` directly: callers put it inside an AtomicDirectory or a temp file.
void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

// "F32" <-> torch dtype. Throws InputError for a dtype amkd does not read.
torch::ScalarType safetensors_dtype(const std::string& name);
std::string safetensors_dtype_name(torch::ScalarType type);

}  // namespace amkd
