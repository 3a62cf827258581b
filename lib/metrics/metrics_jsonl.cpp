#include "metrics/metrics_jsonl.h"

#include <fmt/format.h>

#include "common/errors.h"

namespace amkd {

MetricsJsonl::MetricsJsonl(const std::string& path) : path_(path), out_(path, std::ios::trunc) {
  if (!out_) throw InputError(fmt::format("{}: cannot create the metrics file", path));
}

void MetricsJsonl::write(const nlohmann::json& row) {
  // Non-finite numbers (a diverged loss) are written as null by nlohmann: still valid JSON.
  out_ << row.dump() << '\n';
  out_.flush();
  if (!out_) throw std::runtime_error(fmt::format("{}: write failed (disk full?)", path_));
}

}  // namespace amkd
