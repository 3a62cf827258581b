#pragma once
// The chat template a Hugging Face chat model ships (a Jinja string), rendered as transformers'
// apply_chat_template does, and conversations encoded for training with a loss mask over every
// assistant turn exactly as the template renders it (content and end-of-turn).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/prompt_template.h"
#include "tokenizer/tokenizer.h"

namespace amkd {

namespace jinja {
class Template;
}

class ChatTemplate {
 public:
  // `special_tokens`: bos_token, eos_token, ... as the template sees them.
  ChatTemplate(const std::string& source, const std::string& where,
               std::map<std::string, std::string> special_tokens);
  // The template of a model or tokenizer directory: chat_template.jinja (newer transformers
  // save it so), else tokenizer_config.json's chat_template (a string, or a list of {name,
  // template} whose "default" is used); the special tokens come from tokenizer_config.json
  // and special_tokens_map.json. InputError naming the directory when there is none.
  static ChatTemplate load(const std::string& dir);

  // apply_chat_template(messages, tokenize=False, add_generation_prompt=...).
  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;
  const std::string& where() const { return where_; }

 private:
  std::shared_ptr<const jinja::Template> template_;
  std::map<std::string, std::string> special_tokens_;
  std::string where_;
};

// The prompt of a single-turn example: [system turn when non-empty, user turn].
std::vector<ChatMessage> chat_prompt_messages(const std::string& system, const std::string& user);

// A conversation's ids equal apply_chat_template(conversation, tokenize=True) (turns after the
// last assistant turn are dropped: they carry no loss). The loss mask covers, for each assistant
// turn, what the template adds when that turn is appended to the conversation before it rendered
// with add_generation_prompt: the turn's content and its end-of-turn text. prompt_length counts
// the tokens before the first assistant turn. The mask is found by tokenizing the pieces between
// turn boundaries; when that gives other ids than the whole text (the tokenizer merges across a
// boundary, or a sentencepiece tokenizer marks each piece's start), it is found from character
// offsets instead, a token counting as the assistant's when it overlaps its text (as
// transformers' assistant masks do), and offset_mask says so. InputError when the template
// renders earlier turns differently once later ones follow (no turn boundary to find).
struct ChatEncoding {
  EncodedExample example;
  bool offset_mask = false;
};
ChatEncoding encode_chat(const Tokenizer& tokenizer, const ChatTemplate& tmpl,
                         std::vector<ChatMessage> conversation);

// The token the template ends an assistant turn with (<|im_end|>, <|eot_id|>, <end_of_turn>,
// </s>), when that is a single special token; generation stops on it.
std::optional<int64_t> end_of_turn_id(const Tokenizer& tokenizer, const ChatTemplate& tmpl);

}  // namespace amkd
