#include "tokenizer/tokenize_file.h"

#include <fstream>

#include <fmt/format.h>

#include "common/atomic_write.h"
#include "common/errors.h"
#include "common/json_io.h"

namespace amkd {

int64_t tokenize_jsonl(const Tokenizer& tokenizer, const std::string& input,
                       const std::string& output, const TokenizeFileOptions& options) {
  std::ifstream in(input, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read input", input));
  std::string text, line;
  int64_t count = 0;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = fmt::format("{}:{}", input, number);
    nlohmann::json row = parse_json(line, where);
    try {
      if (options.decode) {
        if (!row.is_object() || !row.contains("ids") || !row["ids"].is_array())
          throw InputError("expected an object with an \"ids\" array");
        std::vector<int64_t> ids;
        for (const auto& v : row["ids"]) {
          if (!v.is_number_integer())
            throw InputError(fmt::format("ids holds {}, not an integer token id", v.dump()));
          ids.push_back(v.get<int64_t>());
        }
        row["text"] = tokenizer.decode(ids, options.skip_special);
      } else {
        if (!row.is_object() || !row.contains("text") || !row["text"].is_string())
          throw InputError("expected an object with a \"text\" string");
        row["ids"] = tokenizer.encode(row["text"].get<std::string>(), options.add_special);
      }
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", where, e.what()));
    }
    text += row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    ++count;
  }
  write_file_atomic(output, text);
  return count;
}

}  // namespace amkd
