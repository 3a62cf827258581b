#pragma once
// Can this teacher be distilled into this student? Their token ids must mean the same thing:
// vocabularies compared token by token, output heads with padded rows detected, and one sample
// rendered and tokenized for both. Problems that would silently corrupt training are errors;
// differences amkd handles (padded rows, extra trailing tokens, which it masks) are warnings.
#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/prompt_template.h"
#include "tokenizer/tokenizer.h"

namespace amkd {

struct CompatSide {
  std::string name;  // "teacher" / "student"
  const Tokenizer* tokenizer = nullptr;
  int64_t head_vocab = 0;  // rows of the model's output head (config.json vocab_size)
};

struct CompatReport {
  std::vector<std::string> errors, warnings, notes;
  int64_t shared_vocab = 0;  // ids below this mean the same token in both; logits above are masked
  bool ok() const { return errors.empty(); }
  std::string format() const;
};

CompatReport check_compatibility(const CompatSide& teacher, const CompatSide& student,
                                 const PromptTemplate& tmpl);

}  // namespace amkd
