#include "data/instruction_data.h"

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/json_io.h"

namespace amkd {
namespace {

using nlohmann::json;

DataFormat detect(const json& row) {
  if (row.contains("messages")) return DataFormat::kMessages;
  if (row.contains("question") && row.contains("answer")) return DataFormat::kQuestionAnswer;
  if (row.contains("context") || row.contains("response")) {
    if (row.contains("instruction")) return DataFormat::kDolly;
    if (row.contains("prompt")) return DataFormat::kPromptResponse;
  }
  if (row.contains("instruction") && row.contains("prompt")) return DataFormat::kMiniLLM;
  if (row.contains("instruction")) return DataFormat::kAlpaca;
  if (row.contains("prompt")) return DataFormat::kPromptResponse;
  throw InputError(
      "cannot tell the format from the keys (expected instruction/context/response, "
      "instruction/input/output, prompt/output or prompt/response, question/answer, or "
      "messages)");
}

std::string text(const json& row, const char* key, bool required) {
  if (!row.contains(key) || row[key].is_null()) {
    if (required) throw InputError(fmt::format("missing field \"{}\"", key));
    return "";
  }
  if (!row[key].is_string()) throw InputError(fmt::format("field \"{}\" is not a string", key));
  return row[key].get<std::string>();
}

// "output" may be a string or, in MiniLLM's S-NI set, a list of acceptable references.
std::vector<std::string> references(const json& row, const char* key, bool required) {
  if (row.contains(key) && row[key].is_array()) {
    std::vector<std::string> refs;
    for (const auto& r : row[key]) {
      if (!r.is_string())
        throw InputError(fmt::format("field \"{}\" holds a non-string reference", key));
      refs.push_back(r.get<std::string>());
    }
    if (refs.empty() && required)
      throw InputError(fmt::format("field \"{}\" is an empty list", key));
    return refs;
  }
  const std::string one = text(row, key, required);
  return one.empty() && !required ? std::vector<std::string>{} : std::vector<std::string>{one};
}

Example parse_row(const json& row, DataFormat format, bool require_response) {
  if (!row.is_object()) throw InputError("a line must be a JSON object");
  if (format == DataFormat::kAuto) format = detect(row);
  Example e;
  switch (format) {
    case DataFormat::kDolly:
      e.instruction = text(row, "instruction", true);
      e.input = text(row, "context", false);
      e.references = references(row, "response", require_response);
      break;
    case DataFormat::kAlpaca:
    case DataFormat::kMiniLLM:
      e.instruction = text(row, "instruction", true);
      e.input = text(row, "input", false);
      e.references = references(row, "output", require_response);
      break;
    case DataFormat::kPromptResponse:
      e.prompt = text(row, "prompt", true);
      e.references =
          references(row, row.contains("response") ? "response" : "output", require_response);
      break;
    case DataFormat::kQuestionAnswer:
      e.instruction = text(row, "question", true);
      e.references = references(row, "answer", require_response);
      break;
    case DataFormat::kMessages: {
      if (!row["messages"].is_array()) throw InputError("field \"messages\" is not a list");
      // Every turn is kept for chat templates; the others use the first user turn (after an
      // optional system turn) and the assistant turn after it.
      for (size_t k = 0; k < row["messages"].size(); ++k) {
        const json& m = row["messages"][k];
        const std::string where = fmt::format("messages[{}]", k);
        if (!m.is_object()) throw InputError(where + " is not an object");
        ChatMessage turn;
        try {
          turn = {text(m, "role", true), text(m, "content", true)};
        } catch (const InputError& err) {
          throw InputError(where + ": " + err.what());
        }
        if (turn.role == "system" && e.instruction.empty() && e.system.empty())
          e.system = turn.content;
        else if (turn.role == "user" && e.instruction.empty())
          e.instruction = turn.content;
        else if (turn.role == "assistant" && !e.instruction.empty() && e.references.empty())
          e.references = {turn.content};
        e.messages.push_back(std::move(turn));
      }
      if (e.instruction.empty()) throw InputError("messages hold no user turn");
      if (e.references.empty() && require_response)
        throw InputError("messages hold no assistant turn after the user");
      break;
    }
    case DataFormat::kAuto:
      break;
  }
  if (require_response &&
      (e.references.empty() || e.references[0].find_first_not_of(" \t\r\n") == std::string::npos))
    throw InputError("the response is empty");
  if (!e.references.empty()) e.response = e.references[0];
  if (row.contains("id") && (row["id"].is_string() || row["id"].is_number_integer()))
    e.id = row["id"].is_string() ? row["id"].get<std::string>()
                                 : row["id"].dump();  // as written, unsigned 64-bit ids too
  return e;
}

}  // namespace

DataFormat parse_data_format(const std::string& name, const std::string& where) {
  if (name == "auto") return DataFormat::kAuto;
  if (name == "dolly") return DataFormat::kDolly;
  if (name == "alpaca") return DataFormat::kAlpaca;
  if (name == "minillm") return DataFormat::kMiniLLM;
  if (name == "prompt_response") return DataFormat::kPromptResponse;
  if (name == "messages") return DataFormat::kMessages;
  if (name == "question_answer") return DataFormat::kQuestionAnswer;
  throw InputError(fmt::format(
      "{}: unknown data format '{}' (auto, dolly, alpaca, minillm, prompt_response, messages, "
      "question_answer)",
      where, name));
}

const char* data_format_name(DataFormat format) {
  switch (format) {
    case DataFormat::kAuto:
      return "auto";
    case DataFormat::kDolly:
      return "dolly";
    case DataFormat::kAlpaca:
      return "alpaca";
    case DataFormat::kMiniLLM:
      return "minillm";
    case DataFormat::kPromptResponse:
      return "prompt_response";
    case DataFormat::kMessages:
      return "messages";
    case DataFormat::kQuestionAnswer:
      return "question_answer";
  }
  return "?";
}

LoadedData load_instruction_data(const std::string& path, const DataLoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read data file", path));
  LoadedData data;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = fmt::format("{}:{}", path, number);
    try {
      Example e = parse_row(parse_json(line, where), options.format, options.require_response);
      if (e.id.empty()) e.id = where;
      data.examples.push_back(std::move(e));
    } catch (const InputError& err) {
      const std::string what = err.what();
      const std::string reason = what.rfind(where, 0) == 0 ? what : where + ": " + what;
      if (!options.skip_bad_lines)
        throw InputError(reason + " (data.on_bad_line: skip skips such lines)");
      if (data.skipped++ == 0) data.first_skip_reason = reason;
    }
  }
  if (data.examples.empty())
    throw InputError(fmt::format("{}: no usable examples{}", path,
                                 data.skipped ? fmt::format(" ({} bad lines skipped; first: {})",
                                                            data.skipped, data.first_skip_reason)
                                              : ""));
  return data;
}

std::string prompt_text(const PromptTemplate& tmpl, const Example& example) {
  if (tmpl.is_chat())
    return tmpl.render(example.prompt.empty() ? example.instruction : example.prompt, example.input,
                       example.system);
  return example.prompt.empty() ? tmpl.render(example.instruction, example.input) : example.prompt;
}

}  // namespace amkd
