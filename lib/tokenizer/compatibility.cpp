#include "tokenizer/compatibility.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tokenizer/chat_template.h"

namespace amkd {
namespace {

std::string quoted(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The sample every check renders: an instruction with an input, digits, punctuation, a newline.
constexpr const char* kInstruction = "Summarise the text below in one sentence.";
constexpr const char* kInput = "Tokenizers split text into ids: 42 of them, maybe\nmore.";
constexpr const char* kResponse = "Text becomes ids.";

}  // namespace

std::string CompatReport::format() const {
  std::string out;
  for (const auto& e : errors) out += "  error:   " + e + "\n";
  for (const auto& w : warnings) out += "  warning: " + w + "\n";
  for (const auto& n : notes) out += "  ok:      " + n + "\n";
  return out;
}

CompatReport check_compatibility(const CompatSide& teacher, const CompatSide& student,
                                 const PromptTemplate& tmpl) {
  CompatReport r;
  const Tokenizer& t = *teacher.tokenizer;
  const Tokenizer& s = *student.tokenizer;
  const int64_t common = std::min(t.vocab_size(), s.vocab_size());

  // Token by token over the ids both have.
  int64_t differ = 0;
  std::string examples;
  for (int64_t id = 0; id < common; ++id) {
    const std::string a = t.token(id), b = s.token(id);
    if (a == b) continue;
    if (++differ <= 3)
      examples +=
          fmt::format("{}id {}: {} vs {}", differ > 1 ? "; " : "", id, quoted(a), quoted(b));
  }
  if (differ > 0)
    r.errors.push_back(
        fmt::format("vocabularies differ at {} of {} shared ids ({}); distilling across different "
                    "tokenizers would compare unrelated tokens",
                    differ, common, examples));
  else
    r.notes.push_back(
        fmt::format("vocabularies agree token by token on all {} shared ids", common));
  if (t.vocab_size() != s.vocab_size())
    r.warnings.push_back(
        fmt::format("tokenizer sizes differ ({} {} vs {} {}): ids from {} on are masked out of "
                    "both distributions",
                    teacher.name, t.vocab_size(), student.name, s.vocab_size(), common));
  r.shared_vocab = common;

  // Output heads: padded rows are masked; a head smaller than its tokenizer cannot score every id.
  for (const CompatSide* side : {&teacher, &student}) {
    const int64_t tok = side->tokenizer->vocab_size();
    if (side->head_vocab > tok)
      r.warnings.push_back(
          fmt::format("{} output head has {} rows for {} tokens: the {} padded rows get logit "
                      "-inf and never receive probability",
                      side->name, side->head_vocab, tok, side->head_vocab - tok));
    else if (side->head_vocab < tok)
      r.errors.push_back(fmt::format("{} output head has {} rows but its tokenizer has {} tokens",
                                     side->name, side->head_vocab, tok));
  }

  // The same sample through each side's tokenizer (a chat template: the student's, which
  // renders the training data).
  EncodedExample a, b;
  if (tmpl.is_chat()) {
    const PromptTemplate bound = tmpl.bound_to(s);
    std::vector<ChatMessage> turns =
        chat_prompt_messages("", std::string(kInstruction) + "\n\n" + kInput);
    turns.push_back({"assistant", kResponse});
    a = encode_chat(t, *bound.chat(), turns).example;
    b = encode_chat(s, *bound.chat(), turns).example;
  } else {
    const std::string prompt = tmpl.render(kInstruction, kInput);
    a = encode_example(t, prompt, kResponse);
    b = encode_example(s, prompt, kResponse);
  }
  if (a.ids != b.ids) {
    size_t i = 0;
    while (i < a.ids.size() && i < b.ids.size() && a.ids[i] == b.ids[i]) ++i;
    auto tok_at = [](const Tokenizer& k, const std::vector<int64_t>& ids, size_t i) {
      return i < ids.size() ? fmt::format("{} {}", ids[i], quoted(k.token(ids[i])))
                            : std::string("(end)");
    };
    r.errors.push_back(fmt::format(
        "the {} template sample tokenizes differently: {} ids vs {}, first difference "
        "at position {}: {} vs {}",
        tmpl.name(), a.ids.size(), b.ids.size(), i, tok_at(t, a.ids, i), tok_at(s, b.ids, i)));
  } else {
    r.notes.push_back(fmt::format(
        "the {} template sample gives the same {} ids ({} prompt, {} response) for both",
        tmpl.name(), a.ids.size(), a.prompt_length, a.ids.size() - a.prompt_length));
  }
  return r;
}

}  // namespace amkd
