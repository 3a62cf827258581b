#pragma once
// A summary of a checkpoint directory for `amkd inspect`.
#include <string>

#include <nlohmann/json.hpp>

namespace amkd {

// Reads config.json and the safetensors headers (no weights): architecture, sizes, parameter
// count, stored dtype, tokenizer files present.
nlohmann::json inspect_checkpoint(const std::string& dir);
std::string format_inspection(const nlohmann::json& info);

}  // namespace amkd
