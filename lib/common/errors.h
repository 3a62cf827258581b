#pragma once
// Error types shared by every lib/ area. app/ maps them to exit codes:
// InputError (bad recipe, file, flag or data line) -> 2, anything else -> 1.
#include <stdexcept>
#include <string>

namespace amkd {

// The user gave us something we cannot use. The message names the file, key or line.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace amkd
