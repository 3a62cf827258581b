#pragma once
// Instruction data in the JSONL formats users bring: Dolly (instruction/context/response),
// Alpaca (instruction/input/output), MiniLLM's processed sets (instruction/input/output/prompt,
// S-NI with a list of references), prompt/response, and chat `messages`.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/prompt_template.h"

namespace amkd {

struct Example {
  std::string id;           // the line's "id" when present, else "<file>:<line>"
  std::string instruction;  // empty for prompt/response data
  std::string input;
  std::string prompt;                   // a ready prompt (prompt/response data); empty otherwise
  std::string response;                 // the first reference
  std::vector<std::string> references;  // every reference (S-NI has several)
  std::string system;                   // messages data: a system turn before the first user turn
  std::vector<ChatMessage> messages;    // messages data: every turn (data.template: chat trains on
                                        // the whole conversation)
};

enum class DataFormat {
  kAuto,
  kDolly,
  kAlpaca,
  kMiniLLM,
  kPromptResponse,
  kMessages,
  kQuestionAnswer  // question/answer (GSM8K)
};

DataFormat parse_data_format(const std::string& name, const std::string& where);
const char* data_format_name(DataFormat format);

struct DataLoadOptions {
  DataFormat format = DataFormat::kAuto;  // auto: from the keys of each line
  bool skip_bad_lines = false;   // else the first bad line is an InputError naming file:line
  bool require_response = true;  // training needs one; prompts-only sets (generation) do not
};

struct LoadedData {
  std::vector<Example> examples;
  int64_t skipped = 0;            // bad lines skipped (skip_bad_lines)
  std::string first_skip_reason;  // "file:line: why" of the first skipped line
};

LoadedData load_instruction_data(const std::string& path, const DataLoadOptions& options = {});

// The prompt text of an example: its ready prompt, else the template applied to it. With the chat
// template, the ready prompt (or the instruction and input) is the user turn, after the example's
// system turn if it has one.
std::string prompt_text(const PromptTemplate& tmpl, const Example& example);

}  // namespace amkd
