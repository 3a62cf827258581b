#include "tokenizer/prompt_template.h"

#include <regex>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "tokenizer/chat_template.h"

namespace amkd {
namespace {

std::string with_input(const std::string& instruction, const std::string& input) {
  return input.empty() ? instruction : instruction + "\n\n" + input;
}

}  // namespace

const std::vector<std::string>& PromptTemplate::builtin_names() {
  static const std::vector<std::string> names = {"dolly",  "chatml", "llama2",
                                                 "llama3", "plain",  "chat"};
  return names;
}

PromptTemplate::PromptTemplate(const std::string& name_or_text, const std::string& where)
    : name_(name_or_text) {
  for (const auto& n : builtin_names())
    if (n == name_or_text) return;
  if (name_or_text.find("{instruction}") == std::string::npos)
    throw InputError(
        fmt::format("{}: '{}' is neither a built-in template ({}) nor a custom template with an "
                    "{{instruction}} field",
                    where, name_or_text, fmt::join(builtin_names(), ", ")));
  static const std::regex field(R"(\{([A-Za-z_]*)\})");
  for (std::sregex_iterator it(name_or_text.begin(), name_or_text.end(), field), end; it != end;
       ++it) {
    const std::string f = (*it)[1];
    if (f != "instruction" && f != "input")
      throw InputError(fmt::format(
          "{}: custom template field {{{}}} is unknown (fields: {{instruction}}, {{input}})", where,
          f));
  }
  name_ = "custom";
  custom_ = name_or_text;
}

PromptTemplate::PromptTemplate(const std::string& name_or_text, const std::string& where,
                               const Tokenizer& tokenizer)
    : PromptTemplate(name_or_text, where) {
  if (!is_chat()) return;
  if (tokenizer.directory().empty())
    throw InputError(
        fmt::format("{}: chat needs a tokenizer loaded from a model directory", where));
  chat_ = std::make_shared<const ChatTemplate>(ChatTemplate::load(tokenizer.directory()));
}

PromptTemplate PromptTemplate::bound_to(const Tokenizer& tokenizer) const {
  if (!is_chat() || chat_) return *this;
  return PromptTemplate(name_, "data.template", tokenizer);
}

std::vector<int64_t> PromptTemplate::prompt_ids(const Tokenizer& tokenizer,
                                                const std::string& prompt) const {
  return is_chat() ? tokenizer.encode(prompt, false) : encode_prompt(tokenizer, prompt);
}

std::string PromptTemplate::render(const std::string& instruction, const std::string& input,
                                   const std::string& system) const {
  if (is_chat()) {
    if (!chat_) throw std::logic_error("PromptTemplate: chat template used before bound_to()");
    return chat_->render(chat_prompt_messages(system, with_input(instruction, input)), true);
  }
  if (name_ == "dolly") {
    if (input.empty())
      return "Below is an instruction that describes a task. Write a response that appropriately "
             "completes the "
             "request.\n\n### Instruction:\n" +
             instruction + "\n\n### Response:\n";
    return "Below is an instruction that describes a task, paired with an input that provides "
           "further context. "
           "Write a response that appropriately completes the request.\n\n### Instruction:\n" +
           instruction + "\n\n### Input:\n" + input + "\n\n### Response:\n";
  }
  const std::string user = with_input(instruction, input);
  if (name_ == "chatml") return "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n";
  if (name_ == "llama2") return "[INST] " + user + " [/INST]";
  if (name_ == "llama3")
    return "<|start_header_id|>user<|end_header_id|>\n\n" + user +
           "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
  if (name_ == "plain") return user + "\n";
  std::string out;
  size_t pos = 0;
  static const std::regex field(R"(\{(instruction|input)\})");
  for (std::sregex_iterator it(custom_.begin(), custom_.end(), field), end; it != end; ++it) {
    out.append(custom_, pos, it->position() - pos);
    out += (*it)[1] == "instruction" ? instruction : input;
    pos = it->position() + it->length();
  }
  return out + custom_.substr(pos);
}

std::vector<int64_t> encode_prompt(const Tokenizer& tokenizer, const std::string& prompt) {
  std::vector<int64_t> ids = tokenizer.encode(prompt, true);
  if (tokenizer.special().eos && !ids.empty() && ids.back() == *tokenizer.special().eos)
    ids.pop_back();
  return ids;
}

EncodedExample encode_example(const Tokenizer& tokenizer, const std::string& prompt,
                              const std::string& response) {
  EncodedExample e;
  e.ids = encode_prompt(tokenizer, prompt);
  e.prompt_length = static_cast<int64_t>(e.ids.size());
  const std::vector<int64_t> r = tokenizer.encode(response, false);
  e.ids.insert(e.ids.end(), r.begin(), r.end());
  if (tokenizer.special().eos) e.ids.push_back(*tokenizer.special().eos);
  e.loss_mask.assign(e.ids.size(), 1);
  std::fill(e.loss_mask.begin(), e.loss_mask.begin() + e.prompt_length, 0);
  return e;
}

}  // namespace amkd
