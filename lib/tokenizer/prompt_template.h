#pragma once
// Prompt templates: how an instruction (and optional input) becomes the prompt text. The
// response starts exactly where the rendered prompt ends; prompt tokens carry loss mask 0.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace amkd {

class ChatTemplate;

struct ChatMessage {
  std::string role;  // system, user, assistant (or whatever the data names)
  std::string content;
};

// Built-in names: dolly (the Alpaca/Dolly prompt of MiniLLM, DistiLLM and the AMMD paper),
// chatml, llama2, llama3, plain, and chat (the tokenizer's own Jinja chat template, see
// chat_template.h). Anything else containing "{instruction}" is a custom template with the
// fields {instruction} and {input}; otherwise InputError naming `where`.
class PromptTemplate {
 public:
  // A chat template constructed so cannot render until bound to a tokenizer (bound_to).
  PromptTemplate(const std::string& name_or_text, const std::string& where);
  // For chat: the chat template of the directory the tokenizer was loaded from (InputError
  // naming it when it has none or the template uses unsupported Jinja).
  PromptTemplate(const std::string& name_or_text, const std::string& where,
                 const Tokenizer& tokenizer);
  // A copy whose chat template, if it is `chat` and has none yet, is the tokenizer's.
  PromptTemplate bound_to(const Tokenizer& tokenizer) const;

  // The prompt text; `system` is a system turn for chat (other templates have none).
  std::string render(const std::string& instruction, const std::string& input,
                     const std::string& system = "") const;
  // The prompt's ids: encode_prompt below, except for chat, whose template places the special
  // tokens itself (apply_chat_template tokenizes without add_special_tokens).
  std::vector<int64_t> prompt_ids(const Tokenizer& tokenizer, const std::string& prompt) const;
  const std::string& name() const { return name_; }
  bool is_chat() const { return name_ == "chat"; }
  const ChatTemplate* chat() const { return chat_.get(); }

  static const std::vector<std::string>& builtin_names();

 private:
  std::string name_;
  std::string custom_;
  std::shared_ptr<const ChatTemplate> chat_;
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
