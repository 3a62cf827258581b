#include "model/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/json_io.h"

namespace amkd {
namespace {

using nlohmann::json;

struct DTypeInfo {
  const char* name;
  torch::ScalarType type;
};

constexpr DTypeInfo kDTypes[] = {
    {"F64", torch::kFloat64},   {"F32", torch::kFloat32}, {"F16", torch::kFloat16},
    {"BF16", torch::kBFloat16}, {"I64", torch::kInt64},   {"I32", torch::kInt32},
    {"I16", torch::kInt16},     {"I8", torch::kInt8},     {"U8", torch::kUInt8},
    {"BOOL", torch::kBool},
};

const DTypeInfo* find_dtype(const std::string& name) {
  for (const auto& d : kDTypes)
    if (name == d.name) return &d;
  return nullptr;
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Reads a non-negative integer from JSON, or explains why not.
bool as_u64(const json& j, uint64_t& out) {
  if (j.is_number_unsigned()) {
    out = j.get<uint64_t>();
    return true;
  }
  if (j.is_number_integer() && j.get<int64_t>() >= 0) {
    out = static_cast<uint64_t>(j.get<int64_t>());
    return true;
  }
  return false;
}

}  // namespace

torch::ScalarType safetensors_dtype(const std::string& name) {
  const DTypeInfo* d = find_dtype(name);
  if (d == nullptr) throw InputError(fmt::format("unknown safetensors dtype '{}'", name));
  return d->type;
}

std::string safetensors_dtype_name(torch::ScalarType type) {
  for (const auto& d : kDTypes)
    if (d.type == type) return d.name;
  throw std::runtime_error(fmt::format("no safetensors dtype for {}", c10::toString(type)));
}

SafetensorsFile::SafetensorsFile(const std::string& path) : map_(path) {
  auto bad = [&](const std::string& what) {
    return InputError(fmt::format("{}: malformed safetensors file: {}", path, what));
  };
  const uint64_t file_size = map_.size();
  if (file_size < 8)
    throw bad(fmt::format("truncated: {} bytes, the header length alone needs 8", file_size));
  const uint64_t header_len = read_u64_le(map_.data());
  if (header_len > file_size - 8)
    throw bad(
        fmt::format("header length {} is larger than the file ({} bytes)", header_len, file_size));
  if (header_len > kMaxSafetensorsHeader)
    throw bad(fmt::format("header length {} exceeds the {} byte limit", header_len,
                          kMaxSafetensorsHeader));
  data_start_ = 8 + header_len;
  const uint64_t data_size = file_size - data_start_;

  json header;
  try {
    header = parse_json({reinterpret_cast<const char*>(map_.data()) + 8, header_len}, "header");
  } catch (const InputError& e) {
    throw bad(e.what());
  }
  if (!header.is_object()) throw bad("header is not a JSON object");

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& key = it.key();
    const json& value = it.value();
    if (key == "__metadata__") {
      if (!value.is_object()) throw bad("__metadata__ is not an object");
      for (auto m = value.begin(); m != value.end(); ++m) {
        if (!m.value().is_string())
          throw bad(fmt::format("__metadata__ value '{}' is not a string", m.key()));
        metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto where = [&](const std::string& what) {
      return bad(fmt::format("tensor '{}': {}", key, what));
    };
    if (!value.is_object()) throw where("entry is not an object");
    if (!value.contains("dtype") || !value["dtype"].is_string())
      throw where("missing string 'dtype'");
    if (!value.contains("shape") || !value["shape"].is_array())
      throw where("missing array 'shape'");
    if (!value.contains("data_offsets") || !value["data_offsets"].is_array() ||
        value["data_offsets"].size() != 2)
      throw where("missing 'data_offsets' [begin, end]");
    SafetensorsEntry e;
    e.name = key;
    e.dtype = value["dtype"].get<std::string>();
    const DTypeInfo* info = find_dtype(e.dtype);
    if (info == nullptr) throw where(fmt::format("unknown dtype '{}'", e.dtype));
    uint64_t numel = 1;
    for (const json& d : value["shape"]) {
      uint64_t dim = 0;
      if (!as_u64(d, dim)) throw where("shape holds a value that is not a non-negative integer");
      if (dim != 0 && numel > std::numeric_limits<uint64_t>::max() / dim)
        throw where("shape overflows");
      numel *= dim;
      if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        throw where("shape overflows");
      e.shape.push_back(static_cast<int64_t>(dim));
    }
    if (!as_u64(value["data_offsets"][0], e.begin) || !as_u64(value["data_offsets"][1], e.end))
      throw where("data_offsets are not non-negative integers");
    if (e.begin > e.end)
      throw where(fmt::format("data_offsets [{}, {}] run backwards", e.begin, e.end));
    if (e.end > data_size)
      throw where(fmt::format("data_offsets [{}, {}] reach past the data section ({} bytes)",
                              e.begin, e.end, data_size));
    const uint64_t elem = c10::elementSize(info->type);
    if (numel > std::numeric_limits<uint64_t>::max() / elem || numel * elem != e.end - e.begin)
      throw where(fmt::format("shape [{}] of {} needs {} bytes but data_offsets span {}",
                              fmt::join(e.shape, ", "), e.dtype, numel * elem, e.end - e.begin));
    if (index_.count(key)) throw where("appears twice");
    index_[key] = entries_.size();
    entries_.push_back(std::move(e));
  }

  std::vector<const SafetensorsEntry*> order;
  for (const auto& e : entries_) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return a->begin < b->begin || (a->begin == b->begin && a->end < b->end);
  });
  for (size_t i = 1; i < order.size(); ++i) {
    if (order[i]->begin < order[i - 1]->end)
      throw bad(fmt::format("tensors '{}' [{}, {}] and '{}' [{}, {}] overlap", order[i - 1]->name,
                            order[i - 1]->begin, order[i - 1]->end, order[i]->name, order[i]->begin,
                            order[i]->end));
  }
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

torch::Tensor SafetensorsFile::load(const SafetensorsEntry& entry) const {
  torch::Tensor t =
      torch::empty(entry.shape, torch::TensorOptions().dtype(safetensors_dtype(entry.dtype)));
  if (entry.end > entry.begin)
    std::memcpy(t.data_ptr(), map_.data() + data_start_ + entry.begin, entry.end - entry.begin);
  return t;
}

void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> cpu;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    const uint64_t nbytes = t.numel() * t.element_size();
    header[name] = {{"dtype", safetensors_dtype_name(t.scalar_type())},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    cpu.push_back(std::move(t));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data section starts 8-byte aligned
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error(fmt::format("cannot create {}", path));
  uint8_t len[8];
  for (int i = 0; i < 8; ++i)
    len[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
  bool ok =
      std::fwrite(len, 1, 8, f) == 8 && std::fwrite(text.data(), 1, text.size(), f) == text.size();
  for (const auto& t : cpu) {
    const size_t n = t.numel() * t.element_size();
    if (ok && n > 0) ok = std::fwrite(t.data_ptr(), 1, n, f) == n;
  }
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) throw std::runtime_error(fmt::format("cannot write {}", path));
}

}  // namespace amkd
