#pragma once
// Console progress formatting shared by the training commands.
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace amkd {

// "3m07s", or "1h02m" from an hour on.
inline std::string format_duration(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}h{:02d}m", s / 3600, s % 3600 / 60)
                   : fmt::format("{}m{:02d}s", s / 60, s % 60);
}

}  // namespace amkd
