#include "metrics/tensorboard_events.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/errors.h"

namespace fs = std::filesystem;

namespace amkd {
namespace {

const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;  // reflected
      t[i] = c;
    }
    return t;
  }();
  return table;
}

// Protocol buffer wire format: a field key is (number << 3 | wire type).
void varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
template <class T>
void fixed(std::string& out, T v) {  // little-endian, as x86 and the wire format are
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out.append(bytes, sizeof(T));
}
void bytes_field(std::string& out, int number, const std::string& bytes) {
  varint(out, static_cast<uint64_t>(number) << 3 | 2);
  varint(out, bytes.size());
  out += bytes;
}

// Numbers of `value` with their tags, depth first.
void flatten(const nlohmann::json& value, const std::string& tag,
             std::vector<std::pair<std::string, double>>& out) {
  if (value.is_object()) {
    for (const auto& [key, inner] : value.items())
      flatten(inner, tag.empty() ? key : tag + "/" + key, out);
  } else if (value.is_number()) {
    out.emplace_back(tag, value.get<double>());
  }
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

uint32_t crc32c(const void* data, size_t size, uint32_t crc) {
  const auto& table = crc_table();
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint32_t masked_crc32c(const void* data, size_t size) {
  const uint32_t crc = crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

std::string scalar_event(double wall_time, int64_t step,
                         const std::vector<std::pair<std::string, double>>& scalars) {
  // Event: wall_time = 1 (double), step = 2 (int64), summary = 5 (Summary).
  // Summary: value = 1 (repeated Value). Value: tag = 1 (string), simple_value = 2 (float).
  std::string summary;
  for (const auto& [tag, v] : scalars) {
    std::string value;
    bytes_field(value, 1, tag);
    varint(value, 2 << 3 | 5);
    fixed(value, static_cast<float>(v));
    bytes_field(summary, 1, value);
  }
  std::string event;
  varint(event, 1 << 3 | 1);
  fixed(event, wall_time);
  varint(event, 2 << 3 | 0);
  varint(event, static_cast<uint64_t>(step));
  bytes_field(event, 5, summary);
  return event;
}

std::string tfrecord(const std::string& record) {
  std::string out;
  const uint64_t length = record.size();
  fixed(out, length);
  fixed(out, masked_crc32c(&length, sizeof(length)));
  out += record;
  fixed(out, masked_crc32c(record.data(), record.size()));
  return out;
}

TensorBoardWriter::TensorBoardWriter(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  char host[256] = "localhost";
  gethostname(host, sizeof(host) - 1);
  const double start = now_seconds();
  path_ = (fs::path(dir) /
           fmt::format("events.out.tfevents.{}.{}.amkd", static_cast<int64_t>(start), host))
              .string();
  out_.open(path_, std::ios::binary | std::ios::app);
  if (!out_) throw InputError(fmt::format("{}: cannot create the TensorBoard event file", path_));
  std::string version;  // Event: wall_time = 1, file_version = 3
  varint(version, 1 << 3 | 1);
  fixed(version, start);
  bytes_field(version, 3, "brain.Event:2");
  write(version);
}

void TensorBoardWriter::log(const nlohmann::json& row) {
  if (!row.contains("step") || !row["step"].is_number_integer()) return;
  std::vector<std::pair<std::string, double>> scalars;
  for (const auto& [key, value] : row.items())
    if (key != "step") flatten(value, key, scalars);
  if (!scalars.empty()) write(scalar_event(now_seconds(), row["step"].get<int64_t>(), scalars));
}

void TensorBoardWriter::write(const std::string& event) {
  out_ << tfrecord(event);
  out_.flush();
  if (!out_) throw std::runtime_error(fmt::format("{}: cannot write (disk full?)", path_));
}

}  // namespace amkd
