#include "model/gguf_file.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "common/errors.h"
#include "model/ggml_quants.h"

namespace amkd {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxDims = 4;     // GGML_MAX_DIMS
constexpr int kMaxArrayNesting = 3;  // real files nest arrays one level at most
constexpr uint32_t kDefaultAlignment = 32;
// Real vocabularies and merge lists hold well under a million entries and chat templates a few
// KiB; larger values are refused so that a hostile file cannot make the reader allocate without
// bound.
constexpr uint64_t kMaxArrayLength = uint64_t{1} << 24;
constexpr uint64_t kMaxStringLength = uint64_t{1} << 26;

enum ValueType : uint32_t {
  kU8 = 0,
  kI8,
  kU16,
  kI16,
  kU32,
  kI32,
  kF32,
  kBool,
  kString,
  kArray,
  kU64,
  kI64,
  kF64,
};

// Sequential little-endian reads that refuse to pass the end of the mapping.
class Cursor {
 public:
  Cursor(const uint8_t* data, uint64_t size, const std::string& path)
      : data_(data), size_(size), path_(path) {}

  uint64_t position() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  template <typename T>
  T read(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string string(const std::string& what) {
    const uint64_t len = read<uint64_t>(what.c_str());
    if (len > kMaxStringLength)
      throw bad(
          fmt::format("{} is {} bytes long (at most {} allowed)", what, len, kMaxStringLength));
    need(len, what.c_str());
    std::string s(reinterpret_cast<const char*>(data_ + pos_), len);
    pos_ += len;
    return s;
  }

  InputError bad(const std::string& what) const {
    return InputError(fmt::format("{}: malformed GGUF file at byte {}: {}", path_, pos_, what));
  }

 private:
  void need(uint64_t bytes, const char* what) const {
    if (bytes > remaining())
      throw bad(fmt::format("{} needs {} bytes but only {} remain", what, bytes, remaining()));
  }

  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::string& path_;
};

// The smallest encoding of one value of `type`, so an array count can be checked against the
// bytes left before anything is allocated for it.
uint64_t min_value_bytes(uint32_t type) {
  switch (type) {
    case kU8:
    case kI8:
    case kBool:
      return 1;
    case kU16:
    case kI16:
      return 2;
    case kU32:
    case kI32:
    case kF32:
      return 4;
    case kString:
    case kU64:
    case kI64:
    case kF64:
      return 8;
    case kArray:
      return 12;
    default:
      return 0;
  }
}

json read_value(Cursor& c, uint32_t type, const std::string& key, int depth) {
  switch (type) {
    case kU8:
      return c.read<uint8_t>(key.c_str());
    case kI8:
      return c.read<int8_t>(key.c_str());
    case kU16:
      return c.read<uint16_t>(key.c_str());
    case kI16:
      return c.read<int16_t>(key.c_str());
    case kU32:
      return c.read<uint32_t>(key.c_str());
    case kI32:
      return c.read<int32_t>(key.c_str());
    case kF32:
      return c.read<float>(key.c_str());
    case kU64:
      return c.read<uint64_t>(key.c_str());
    case kI64:
      return c.read<int64_t>(key.c_str());
    case kF64:
      return c.read<double>(key.c_str());
    case kBool: {
      const uint8_t b = c.read<uint8_t>(key.c_str());
      if (b > 1) throw c.bad(fmt::format("'{}': bool value {} is neither 0 nor 1", key, b));
      return b == 1;
    }
    case kString:
      return c.string("'" + key + "'");
    case kArray: {
      if (depth >= kMaxArrayNesting)
        throw c.bad(fmt::format("'{}': arrays nested deeper than {}", key, kMaxArrayNesting));
      const uint32_t elem = c.read<uint32_t>(key.c_str());
      const uint64_t count = c.read<uint64_t>(key.c_str());
      const uint64_t min_bytes = min_value_bytes(elem);
      if (min_bytes == 0)
        throw c.bad(fmt::format("'{}': unknown array element type {}", key, elem));
      if (count > kMaxArrayLength)
        throw c.bad(fmt::format("'{}': array of {} elements (at most {} allowed)", key, count,
                                kMaxArrayLength));
      if (count > c.remaining() / min_bytes)
        throw c.bad(fmt::format("'{}': array of {} elements does not fit in the {} bytes left", key,
                                count, c.remaining()));
      json a = json::array();
      a.get_ref<json::array_t&>().reserve(count);
      for (uint64_t i = 0; i < count; ++i) a.push_back(read_value(c, elem, key, depth + 1));
      return a;
    }
    default:
      throw c.bad(fmt::format("'{}': unknown value type {}", key, type));
  }
}

}  // namespace

int64_t GgufTensor::elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::string ggml_type_name(uint32_t type) {
  const GgmlType* t = ggml_type(type);
  return t != nullptr ? t->name : fmt::format("type {}", type);
}

GgufFile::GgufFile(const std::string& path) : map_(path) {
  Cursor c(map_.data(), map_.size(), map_.path());
  if (map_.size() < 4 || std::memcmp(map_.data(), "GGUF", 4) != 0)
    throw InputError(fmt::format("{}: not a GGUF file (it does not start with 'GGUF')", path));
  c.read<uint32_t>("magic");
  version_ = c.read<uint32_t>("version");
  if (version_ != 2 && version_ != 3)
    throw c.bad(fmt::format("version {} is not supported (2 and 3 are)", version_));
  const uint64_t tensor_count = c.read<uint64_t>("tensor count");
  const uint64_t kv_count = c.read<uint64_t>("metadata count");
  // Each entry takes at least 12 bytes (key length + type); each tensor at least 24.
  if (kv_count > c.remaining() / 12)
    throw c.bad(fmt::format("{} metadata entries cannot fit in the file", kv_count));
  for (uint64_t i = 0; i < kv_count; ++i) {
    const std::string key = c.string(fmt::format("metadata key {}", i));
    const uint32_t type = c.read<uint32_t>("metadata type");
    if (metadata_.contains(key)) throw c.bad(fmt::format("metadata key '{}' appears twice", key));
    metadata_[key] = read_value(c, type, key, 0);
  }

  uint64_t alignment = kDefaultAlignment;
  if (metadata_.contains("general.alignment")) {
    const json& a = metadata_["general.alignment"];
    if (!a.is_number_unsigned() || a.get<uint64_t>() == 0 ||
        (a.get<uint64_t>() & (a.get<uint64_t>() - 1)) != 0 || a.get<uint64_t>() > (1u << 20))
      throw c.bad("general.alignment is not a power of two up to 1 MiB");
    alignment = a.get<uint64_t>();
  }

  if (tensor_count > c.remaining() / 24)
    throw c.bad(fmt::format("{} tensors cannot fit in the file", tensor_count));
  std::set<std::string> names;
  for (uint64_t i = 0; i < tensor_count; ++i) {
    GgufTensor t;
    t.name = c.string(fmt::format("tensor {} name", i));
    auto where = [&](const std::string& what) {
      return c.bad(fmt::format("tensor '{}': {}", t.name, what));
    };
    if (!names.insert(t.name).second) throw where("appears twice");
    const uint32_t n_dims = c.read<uint32_t>("tensor dims");
    if (n_dims == 0 || n_dims > kMaxDims)
      throw where(fmt::format("{} dimensions (1 to {} allowed)", n_dims, kMaxDims));
    uint64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t dim = c.read<uint64_t>("tensor dim");
      if (dim == 0 || dim > static_cast<uint64_t>(std::numeric_limits<int32_t>::max()) ||
          elements > (uint64_t{1} << 40) / dim)
        throw where(fmt::format("dimension {} is {}", d, dim));
      elements *= dim;
      t.dims.push_back(static_cast<int64_t>(dim));
    }
    t.type = c.read<uint32_t>("tensor type");
    t.offset = c.read<uint64_t>("tensor offset");
    const GgmlType* type = ggml_type(t.type);
    if (type == nullptr)
      throw where(
          fmt::format("storage type {} is not one amkd reads (F32, F16, BF16, F64, Q4_0, "
                      "Q4_1, Q5_0, Q5_1, Q8_0, Q2_K to Q6_K)",
                      ggml_type_name(t.type)));
    if (t.dims[0] % type->block_elements != 0)
      throw where(fmt::format("first dimension {} is not a multiple of the {} block size {}",
                              t.dims[0], type->name, type->block_elements));
    t.bytes = elements / type->block_elements * type->block_bytes;
    if (t.offset % alignment != 0)
      throw where(fmt::format("offset {} is not aligned to {}", t.offset, alignment));
    tensors_.push_back(std::move(t));
  }
  data_start_ = (c.position() + alignment - 1) / alignment * alignment;
  if (data_start_ > map_.size()) throw c.bad("the data section starts past the end of the file");
  const uint64_t data_size = map_.size() - data_start_;

  std::vector<const GgufTensor*> order;
  for (const auto& t : tensors_) {
    if (t.offset > data_size || t.bytes > data_size - t.offset)
      throw InputError(fmt::format(
          "{}: malformed GGUF file: tensor '{}' ({} bytes at offset {}) reaches past the data "
          "section ({} bytes); the file may be truncated",
          path, t.name, t.bytes, t.offset, data_size));
    order.push_back(&t);
  }
  std::sort(order.begin(), order.end(),
            [](const auto* a, const auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i]->offset < order[i - 1]->offset + order[i - 1]->bytes)
      throw InputError(fmt::format("{}: malformed GGUF file: tensors '{}' and '{}' overlap", path,
                                   order[i - 1]->name, order[i]->name));
}

const GgufTensor* GgufFile::find(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

torch::Tensor GgufFile::load_f32(const GgufTensor& tensor) const {
  torch::Tensor out = torch::empty(tensor.torch_shape(), torch::kFloat32);
  dequantize(tensor.type, map_.data() + data_start_ + tensor.offset, out.data_ptr<float>(),
             tensor.elements());
  return out;
}

}  // namespace amkd
