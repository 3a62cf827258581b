#include "tokenizer/chat_template.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/json_io.h"
#include "tokenizer/jinja_template.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace amkd {
namespace {

// The named special tokens transformers passes to templates (its special_tokens_map).
const char* const kSpecialTokenNames[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                          "pad_token", "cls_token", "mask_token"};

void read_special_tokens(const json& config, const std::string& where,
                         std::map<std::string, std::string>& out) {
  if (!config.is_object()) return;
  for (const char* name : kSpecialTokenNames) {
    if (out.count(name) || !config.contains(name) || config[name].is_null()) continue;
    const json& v = config[name];
    if (v.is_string())
      out[name] = v.get<std::string>();
    else if (v.is_object())
      out[name] = json_string(v, "content", "", where + ": " + name);
    else
      throw InputError(
          fmt::format("{}: '{}' must be a token string or {{\"content\": ...}}", where, name));
  }
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read the chat template", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string common_prefix_error(const ChatTemplate& tmpl, size_t turn) {
  return fmt::format(
      "{}: the chat template renders the conversation up to turn {} differently once later turns "
      "follow, so the assistant turns cannot be told apart for the loss mask",
      tmpl.where(), turn + 1);
}

size_t common_prefix(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  size_t k = 0;
  while (k < a.size() && k < b.size() && a[k] == b[k]) ++k;
  return k;
}

}  // namespace

ChatTemplate::ChatTemplate(const std::string& source, const std::string& where,
                           std::map<std::string, std::string> special_tokens)
    : template_(std::make_shared<const jinja::Template>(source, where)),
      special_tokens_(std::move(special_tokens)),
      where_(where) {}

ChatTemplate ChatTemplate::load(const std::string& dir) {
  const fs::path config_path = fs::path(dir) / "tokenizer_config.json";
  const fs::path jinja_path = fs::path(dir) / "chat_template.jinja";
  const json config = fs::exists(config_path) ? read_json_file(config_path) : json::object();
  std::map<std::string, std::string> special;
  read_special_tokens(config, config_path.string(), special);
  const fs::path map_path = fs::path(dir) / "special_tokens_map.json";
  if (fs::exists(map_path))
    read_special_tokens(read_json_file(map_path), map_path.string(), special);

  if (fs::exists(jinja_path))  // transformers prefers it over tokenizer_config.json's
    return ChatTemplate(read_text(jinja_path), jinja_path.string(), std::move(special));
  const std::string where = config_path.string();
  if (config.is_object() && config.contains("chat_template") &&
      !config["chat_template"].is_null()) {
    const json& t = config["chat_template"];
    if (t.is_string()) return ChatTemplate(t.get<std::string>(), where, std::move(special));
    if (t.is_array()) {
      for (const json& named : t) {
        if (!named.is_object() || !named.contains("name") || !named.contains("template") ||
            !named["name"].is_string() || !named["template"].is_string())
          throw InputError(fmt::format(
              "{}: chat_template must be a string or a list of {{\"name\", \"template\"}} strings",
              where));
        if (named["name"] == "default")
          return ChatTemplate(named["template"].get<std::string>(), where, std::move(special));
      }
      throw InputError(fmt::format(
          "{}: chat_template lists named templates but none is named \"default\"", where));
    }
    throw InputError(fmt::format(
        "{}: chat_template must be a string or a list of {{\"name\", \"template\"}}", where));
  }
  throw InputError(fmt::format(
      "{}: data.template: chat needs the tokenizer's chat template, but the directory has no "
      "chat_template.jinja and its tokenizer_config.json no chat_template",
      dir));
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages,
                                 bool add_generation_prompt) const {
  jinja::List turns;
  for (const ChatMessage& m : messages)
    turns.push_back(jinja::Value::make_dict(
        {{"role", jinja::Value::string(m.role)}, {"content", jinja::Value::string(m.content)}}));
  std::map<std::string, jinja::Value> variables;
  for (const auto& [name, text] : special_tokens_) variables[name] = jinja::Value::string(text);
  variables["messages"] = jinja::Value::make_list(std::move(turns));
  variables["add_generation_prompt"] = jinja::Value::boolean(add_generation_prompt);
  variables["tools"] = jinja::Value::none();  // as transformers passes them without tools
  variables["documents"] = jinja::Value::none();
  return template_->render(variables);
}

std::vector<ChatMessage> chat_prompt_messages(const std::string& system, const std::string& user) {
  std::vector<ChatMessage> messages;
  if (!system.empty()) messages.push_back({"system", system});
  messages.push_back({"user", user});
  return messages;
}

ChatEncoding encode_chat(const Tokenizer& tokenizer, const ChatTemplate& tmpl,
                         std::vector<ChatMessage> conversation) {
  size_t last = conversation.size();
  while (last > 0 && conversation[last - 1].role != "assistant") --last;
  if (last == 0) throw InputError("the conversation has no assistant turn");
  conversation.resize(last);

  // Character spans [begin, end) of the assistant turns in the whole rendered text.
  const std::string full = tmpl.render(conversation, false);
  std::vector<std::pair<size_t, size_t>> spans;
  for (size_t i = 0; i < conversation.size(); ++i) {
    if (conversation[i].role != "assistant") continue;
    const std::vector<ChatMessage> before(conversation.begin(),
                                          conversation.begin() + static_cast<std::ptrdiff_t>(i));
    const std::vector<ChatMessage> through(
        conversation.begin(), conversation.begin() + static_cast<std::ptrdiff_t>(i + 1));
    const std::string prompt = tmpl.render(before, true);
    const std::string upto = i + 1 == conversation.size() ? full : tmpl.render(through, false);
    if (upto.compare(0, prompt.size(), prompt) != 0 || full.compare(0, upto.size(), upto) != 0 ||
        (!spans.empty() && prompt.size() < spans.back().second))
      throw InputError(common_prefix_error(tmpl, i));
    spans.emplace_back(prompt.size(), upto.size());
  }

  ChatEncoding out;
  EncodedExample& e = out.example;
  e.ids = tokenizer.encode(full, false);  // apply_chat_template: add_special_tokens=False
  e.loss_mask.assign(e.ids.size(), 0);

  // The pieces between boundaries, tokenized one by one.
  std::vector<int64_t> joined;
  std::vector<uint8_t> mask;
  size_t at = 0;
  int64_t prompt_length = -1;
  for (const auto& [begin, end] : spans) {
    for (auto [from, to, value] : {std::tuple{at, begin, 0}, std::tuple{begin, end, 1}}) {
      if (value == 1 && prompt_length < 0) prompt_length = static_cast<int64_t>(joined.size());
      if (to <= from) continue;
      const std::vector<int64_t> ids = tokenizer.encode(full.substr(from, to - from), false);
      joined.insert(joined.end(), ids.begin(), ids.end());
      mask.insert(mask.end(), ids.size(), static_cast<uint8_t>(value));
    }
    at = end;
  }
  if (joined == e.ids) {
    e.loss_mask = std::move(mask);
    e.prompt_length = prompt_length;
    return out;
  }

  // Character offsets. Boundary c: how many tokens of the whole lie before c, and whether one
  // ends exactly at c. The text before c tokenizes to the whole's first tokens, except near its
  // end where it may merge differently ("\n\n" alone, "\n" "\n" before a word); decoding the
  // whole's next tokens tells whether they still end before c.
  out.offset_mask = true;
  struct Boundary {
    size_t tokens = 0;
    bool exact = false;
  };
  auto boundary = [&](size_t c) {
    const std::vector<int64_t> prefix = tokenizer.encode(full.substr(0, c), false);
    Boundary b{common_prefix(prefix, e.ids), false};
    b.exact = b.tokens == prefix.size();
    const size_t last = std::min(e.ids.size(), b.tokens + 8);
    for (size_t j = b.tokens + 1; j <= last; ++j) {
      const std::string text = tokenizer.decode(
          std::vector<int64_t>(e.ids.begin(), e.ids.begin() + static_cast<std::ptrdiff_t>(j)));
      if (text.size() <= c && full.compare(0, text.size(), text) == 0) b = {j, text.size() == c};
    }
    return b;
  };
  // A token is the assistant's when it overlaps the turn's text: from the first token not
  // wholly before the turn to the last one starting inside it.
  for (size_t s = 0; s < spans.size(); ++s) {
    const auto [begin, end] = spans[s];
    const size_t first = boundary(begin).tokens;
    size_t stop = e.ids.size();
    if (end < full.size()) {
      const Boundary b = boundary(end);
      stop = b.tokens + (b.exact ? 0 : 1);
    }
    for (size_t k = first; k < stop && k < e.ids.size(); ++k) e.loss_mask[k] = 1;
    if (s == 0) e.prompt_length = static_cast<int64_t>(first);
  }
  return out;
}

std::optional<int64_t> end_of_turn_id(const Tokenizer& tokenizer, const ChatTemplate& tmpl) {
  static const std::string kSentinel = "amkd-response-sentinel";
  const std::vector<ChatMessage> prompt = {{"user", "Hello"}};
  std::vector<ChatMessage> turn = prompt;
  turn.push_back({"assistant", kSentinel});
  const std::string full = tmpl.render(turn, false);
  const size_t at = full.find(kSentinel, tmpl.render(prompt, true).size());
  if (at == std::string::npos) return std::nullopt;
  const std::vector<int64_t> ids = tokenizer.encode(full.substr(at + kSentinel.size()), false);
  if (ids.empty() || !tokenizer.is_special(ids[0])) return std::nullopt;
  return ids[0];
}

}  // namespace amkd
