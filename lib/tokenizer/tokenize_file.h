#pragma once
// JSONL through a tokenizer, for `amkd tokenize`.
#include <string>

#include "tokenizer/tokenizer.h"

namespace amkd {

struct TokenizeFileOptions {
  bool decode = false;        // ids -> text instead of text -> ids
  bool add_special = true;    // encode: add BOS/EOS as the model's tokenizer does
  bool skip_special = false;  // decode: drop special tokens
};

// Encode: each line {"text": ...} gets "ids". Decode: each line {"ids": [...]} gets "text".
// Other fields are kept. Bad lines are InputErrors naming file and line. Returns lines written.
int64_t tokenize_jsonl(const Tokenizer& tokenizer, const std::string& input,
                       const std::string& output, const TokenizeFileOptions& options);

}  // namespace amkd
