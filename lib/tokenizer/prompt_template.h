#pragma once
// Prompt templates: how an instruction (and optional input) becomes the prompt text. The
// response starts exactly where the rendered prompt ends; prompt tokens carry loss mask 0.
#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace amkd {

// Built-in names: dolly (the Alpaca/Dolly prompt of MiniLLM, DistiLLM and the AMMD paper),
// chatml, llama2, llama3, plain. Anything else containing "{instruction}" is a custom template
// with the fields {instruction} and {input}; otherwise InputError naming `where`.
class PromptTemplate {
 public:
  PromptTemplate(const std::string& name_or_text, const std::string& where);
  std::string render(const std::string& instruction, const std::string& input) const;
  const std::string& name() const { return name_; }

  static const std::vector<std::string>& builtin_names();

 private:
  std::string name_;
  std::string custom_;
};

// A prompt's ids: with the tokenizer's special tokens, but without a trailing EOS (tokenizers that
// append one would end the text before the response).
std::vector<int64_t> encode_prompt(const Tokenizer& tokenizer, const std::string& prompt);

// Prompt and response tokenized separately (prompt with the tokenizer's special tokens, response
// followed by EOS) and concatenated, as MiniLLM/DistiLLM build their training sequences.
struct EncodedExample {
  std::vector<int64_t> ids;
  std::vector<uint8_t> loss_mask;  // 1 on response tokens (and the closing EOS), 0 on the prompt
  int64_t prompt_length = 0;
};
EncodedExample encode_example(const Tokenizer& tokenizer, const std::string& prompt,
                              const std::string& response);

}  // namespace amkd
