#pragma once
// JSON from untrusted files: parse errors and absurd nesting become InputErrors naming the
// source, never a crash (nlohmann's recursive copy/destroy would overflow the stack on deep input).
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace amkd {

constexpr int kMaxJsonDepth = 256;

// `source` names the text in errors ("config.json", "data.jsonl:12").
nlohmann::json parse_json(std::string_view text, const std::string& source);
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace amkd
