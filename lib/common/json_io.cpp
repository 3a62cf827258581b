#include "common/json_io.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/errors.h"

namespace amkd {
namespace {

struct TooDeep {};

}  // namespace

nlohmann::json parse_json(std::string_view text, const std::string& source) {
  auto limit_depth = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > kMaxJsonDepth) throw TooDeep{};
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), limit_depth);
  } catch (const TooDeep&) {
    throw InputError(fmt::format("{}: JSON nested deeper than {} levels", source, kMaxJsonDepth));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: not valid JSON ({})", source, e.what()));
  }
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read", path.string()));
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_json(buf.str(), path.string());
}

}  // namespace amkd

namespace amkd {
namespace {

const nlohmann::json* field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

[[noreturn]] void wrong_type(const nlohmann::json& v, const char* key, const char* expected,
                             const std::string& where) {
  std::string shown = v.dump();
  if (shown.size() > 60) shown = shown.substr(0, 60) + "...";
  throw InputError(fmt::format("{}: '{}' must be {}, found {}", where, key, expected, shown));
}

}  // namespace

bool json_bool(const nlohmann::json& j, const char* key, bool fallback, const std::string& where) {
  const nlohmann::json* v = field(j, key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) wrong_type(*v, key, "true or false", where);
  return v->get<bool>();
}

std::string json_string(const nlohmann::json& j, const char* key, const std::string& fallback,
                        const std::string& where) {
  const nlohmann::json* v = field(j, key);
  if (v == nullptr) return fallback;
  if (!v->is_string()) wrong_type(*v, key, "a string", where);
  return v->get<std::string>();
}

int64_t json_int(const nlohmann::json& j, const char* key, int64_t fallback,
                 const std::string& where) {
  const nlohmann::json* v = field(j, key);
  if (v == nullptr) return fallback;
  if (!v->is_number_integer()) wrong_type(*v, key, "an integer", where);
  return v->get<int64_t>();
}

void for_each_jsonl_row(const std::string& path, const std::string& what,
                        const std::function<void(const nlohmann::json&, const std::string&)>& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read {}", path, what));
  int64_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = fmt::format("{}:{}", path, number);
    fn(parse_json(line, where), where);
  }
}

}  // namespace amkd
