#pragma once
// metrics.jsonl of a run: one JSON object per line, appended and flushed as it is logged, so a
// crashed or running job's metrics can be read at any time.
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace amkd {

class MetricsJsonl {
 public:
  explicit MetricsJsonl(const std::string& path);  // created (truncated) on open
  void write(const nlohmann::json& row);

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace amkd
