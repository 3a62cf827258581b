#include "tokenizer/hf_tokenizer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "common/json_io.h"
#include "tokenizer/utf8.h"

namespace amkd {

HfTokenizer::HfTokenizer(const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) throw InputError(fmt::format("{}: not a tokenizer.json object", path));
  if (!j.contains("model") || !j["model"].is_object())
    throw InputError(fmt::format("{}: no 'model' object", path));
  const std::string type = json_string(j["model"], "type", "BPE", path + ": model");
  if (type != "BPE")
    throw InputError(
        fmt::format("{}: model type '{}' is not supported by amkd (only BPE)", path, type));
  model_ = std::make_unique<BpeModel>(j["model"], path);
  normalizer_ = make_normalizer(j.value("normalizer", nlohmann::json()), path + ": normalizer");
  pre_tokenizer_ =
      make_pre_tokenizer(j.value("pre_tokenizer", nlohmann::json()), path + ": pre_tokenizer");
  post_processor_ =
      make_post_processor(j.value("post_processor", nlohmann::json()), path + ": post_processor");
  decoder_ = make_decoder(j.value("decoder", nlohmann::json()), path + ": decoder");

  vocab_size_ = static_cast<int64_t>(model_->id_to_token().size());
  const nlohmann::json added = j.value("added_tokens", nlohmann::json::array());
  if (!added.is_array()) throw InputError(fmt::format("{}: 'added_tokens' must be a list", path));
  for (size_t i = 0; i < added.size(); ++i) {
    const std::string where = fmt::format("{}: added_tokens[{}]", path, i);
    const auto& a = added[i];
    AddedToken t;
    t.id = json_int(a, "id", -1, where);
    t.content = json_string(a, "content", "", where);
    if (t.id < 0 || t.id > (1 << 30) || t.content.empty())
      throw InputError(
          fmt::format("{}: needs a non-negative 'id' and a non-empty 'content'", where));
    t.special = json_bool(a, "special", false, where);
    t.normalized = json_bool(a, "normalized", !t.special, where);
    t.lstrip = json_bool(a, "lstrip", false, where);
    t.rstrip = json_bool(a, "rstrip", false, where);
    t.single_word = json_bool(a, "single_word", false, where);
    (t.normalized && normalizer_ ? normalized_tokens_ : raw_tokens_).add(t);
    added_by_content_[t.content] = t.id;
    vocab_size_ = std::max(vocab_size_, t.id + 1);
    added_by_id_[t.id] = std::move(t);
  }
}

void HfTokenizer::set_special_wrapping(std::optional<int64_t> bos, std::optional<int64_t> eos) {
  nlohmann::json single = nlohmann::json::array();
  nlohmann::json specials = nlohmann::json::object();
  auto add = [&](std::optional<int64_t> id) {
    if (!id) return;
    const std::string name = token(*id);
    single.push_back({{"SpecialToken", {{"id", name}}}});
    specials[name] = {{"id", name}, {"ids", {*id}}, {"tokens", {name}}};
  };
  add(bos);
  single.push_back({{"Sequence", {{"id", "A"}}}});
  add(eos);
  post_processor_ = make_post_processor(
      {{"type", "TemplateProcessing"}, {"single", single}, {"special_tokens", specials}},
      "tokenizer_config.json");
}

void HfTokenizer::encode_text(std::string_view text, bool at_start,
                              std::vector<int64_t>& ids) const {
  std::string normalized(text);
  if (normalizer_) normalizer_->normalize(normalized);
  for (const Segment& seg : normalized_tokens_.split(normalized)) {
    if (seg.token) {
      ids.push_back(*seg.token);
      continue;
    }
    std::vector<Piece> pieces = {{std::string(seg.text), at_start && seg.offset == 0}};
    if (pre_tokenizer_) pre_tokenizer_->split(pieces);
    for (const Piece& p : pieces) model_->tokenize(p.text, ids);
  }
}

std::vector<int64_t> HfTokenizer::encode(std::string_view text, bool add_special) const {
  if (!utf8::valid(text)) throw InputError("text to encode is not valid UTF-8");
  std::vector<int64_t> ids;
  for (const Segment& seg : raw_tokens_.split(text)) {
    if (seg.token)
      ids.push_back(*seg.token);
    else
      encode_text(seg.text, seg.offset == 0, ids);
  }
  if (add_special && post_processor_) post_processor_->process(ids);
  return ids;
}

std::string HfTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int64_t id : ids) {
    if (skip_special && is_special(id)) continue;
    auto added = added_by_id_.find(id);
    if (added != added_by_id_.end()) {
      tokens.push_back(added->second.content);
    } else if (id >= 0 && id < static_cast<int64_t>(model_->id_to_token().size()) &&
               !model_->id_to_token()[id].empty()) {
      tokens.push_back(model_->id_to_token()[id]);
    } else {
      throw InputError(
          fmt::format("token id {} is not in the vocabulary (size {})", id, vocab_size_));
    }
  }
  if (!decoder_) return fmt::format("{}", fmt::join(tokens, " "));
  decoder_->decode(tokens);
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

std::string HfTokenizer::token(int64_t id) const {
  auto added = added_by_id_.find(id);
  if (added != added_by_id_.end()) return added->second.content;
  const auto& table = model_->id_to_token();
  return id >= 0 && id < static_cast<int64_t>(table.size()) ? table[id] : std::string();
}

std::optional<int64_t> HfTokenizer::id_of(const std::string& token) const {
  auto added = added_by_content_.find(token);
  if (added != added_by_content_.end()) return added->second;
  auto it = model_->vocab().find(token);
  if (it != model_->vocab().end()) return it->second;
  return std::nullopt;
}

bool HfTokenizer::is_special(int64_t id) const {
  auto added = added_by_id_.find(id);
  return added != added_by_id_.end() && added->second.special;
}

}  // namespace amkd
