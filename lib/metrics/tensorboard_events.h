#pragma once
// TensorBoard event files, written by amkd itself: TFRecord framing (little-endian length,
// masked CRC32C of the length, the record, masked CRC32C of the record) around Event protocol
// buffers encoded here: a file_version event first, then one Summary of simple_value scalars
// per logged metrics row. TensorBoard reads every file in a directory, so a resumed run adds
// its own file beside the earlier ones.
#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace amkd {

// CRC-32C (Castagnoli), as TFRecord checks it; `crc` continues an earlier value.
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);
// TFRecord's masked form: the CRC rotated right by 15 bits plus 0xa282ead8.
uint32_t masked_crc32c(const void* data, size_t size);

// One serialised Event: wall_time, step and a Summary of (tag, simple_value) scalars.
std::string scalar_event(double wall_time, int64_t step,
                         const std::vector<std::pair<std::string, double>>& scalars);
// `record` framed as one TFRecord.
std::string tfrecord(const std::string& record);

class TensorBoardWriter {
 public:
  // Creates DIR (if needed) and DIR/events.out.tfevents.<seconds>.<host>.amkd, holding the
  // file_version event. Throws InputError when the file cannot be created.
  explicit TensorBoardWriter(const std::string& dir);
  // Every number of `row` (nested objects as "outer/inner"; strings and booleans skipped) as a
  // scalar at row["step"]; flushed at once, like metrics.jsonl.
  void log(const nlohmann::json& row);
  const std::string& path() const { return path_; }

 private:
  void write(const std::string& event);
  std::string path_;
  std::ofstream out_;
};

}  // namespace amkd
