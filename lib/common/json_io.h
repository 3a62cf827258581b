#pragma once
// JSON from untrusted files: parse errors and absurd nesting become InputErrors naming the
// source, never a crash (nlohmann's recursive copy/destroy would overflow the stack on deep input).
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace amkd {

constexpr int kMaxJsonDepth = 256;

// `source` names the text in errors ("config.json", "data.jsonl:12").
nlohmann::json parse_json(std::string_view text, const std::string& source);
nlohmann::json read_json_file(const std::filesystem::path& path);

// Calls fn(row, "path:line") for each non-blank line of a JSONL file; a file that cannot be read
// is an InputError naming it as `what`.
void for_each_jsonl_row(const std::string& path, const std::string& what,
                        const std::function<void(const nlohmann::json&, const std::string&)>& fn);

}  // namespace amkd

namespace amkd {

// Typed reads of optional fields from untrusted JSON: a missing or null field gives `fallback`,
// a field of the wrong type an InputError naming `where` and the key.
bool json_bool(const nlohmann::json& j, const char* key, bool fallback, const std::string& where);
std::string json_string(const nlohmann::json& j, const char* key, const std::string& fallback,
                        const std::string& where);
int64_t json_int(const nlohmann::json& j, const char* key, int64_t fallback,
                 const std::string& where);

}  // namespace amkd
