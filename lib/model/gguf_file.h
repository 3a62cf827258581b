#pragma once
// The GGUF format of llama.cpp (versions 2 and 3): magic "GGUF", a key/value metadata table, a
// tensor table (name, dims, ggml type, offset) and aligned tensor data. Read through a memory
// mapping and treated as untrusted: every count, length, dimension and offset is checked against
// the file before it is used, so malformed bytes give an InputError, never a crash.
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "common/mapped_file.h"

namespace amkd {

struct GgufTensor {
  std::string name;
  std::vector<int64_t> dims;  // GGUF order: dims[0] varies fastest (the reverse of torch's shape)
  uint32_t type = 0;          // ggml type id (0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 8 Q8_0, ...)
  uint64_t offset = 0;        // inside the data section
  uint64_t bytes = 0;
  std::vector<int64_t> torch_shape() const { return {dims.rbegin(), dims.rend()}; }
  int64_t elements() const;
};

class GgufFile {
 public:
  // Maps and validates `path`; throws InputError naming the file and the problem.
  explicit GgufFile(const std::string& path);

  const std::string& path() const { return map_.path(); }
  uint32_t version() const { return version_; }
  // Metadata values as JSON: integers, floats, bools, strings (raw bytes; not checked as UTF-8)
  // and arrays of those.
  const nlohmann::json& metadata() const { return metadata_; }
  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* find(const std::string& name) const;
  // The tensor dequantised to a fresh fp32 CPU tensor of torch_shape().
  torch::Tensor load_f32(const GgufTensor& tensor) const;

 private:
  MappedFile map_;
  uint32_t version_ = 0;
  nlohmann::json metadata_ = nlohmann::json::object();
  std::vector<GgufTensor> tensors_;
  uint64_t data_start_ = 0;
};

// ggml's name of a type id ("Q4_1"), or "type N" for an unknown one.
std::string ggml_type_name(uint32_t type);

}  // namespace amkd
