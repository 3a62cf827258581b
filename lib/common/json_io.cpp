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
