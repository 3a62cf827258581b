#include "tokenizer/sp_tokenizer.h"

#include <fstream>

#include <fmt/format.h>
#include <sentencepiece_processor.h>

#include "common/errors.h"
#include "tokenizer/utf8.h"

namespace amkd {

SpTokenizer::SpTokenizer(const std::string& path)
    : sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read", path));
  const std::string bytes{std::istreambuf_iterator<char>(in), {}};
  const auto status = sp_->LoadFromSerializedProto(bytes);
  if (!status.ok())
    throw InputError(
        fmt::format("{}: not a usable sentencepiece model: {}", path, status.ToString()));
  vocab_size_ = sp_->GetPieceSize();
  if (sp_->bos_id() >= 0) special_.bos = sp_->bos_id();
  if (sp_->eos_id() >= 0) special_.eos = sp_->eos_id();
  if (sp_->unk_id() >= 0) special_.unk = sp_->unk_id();
  if (sp_->pad_id() >= 0) special_.pad = sp_->pad_id();
}

SpTokenizer::~SpTokenizer() = default;

void SpTokenizer::set_special(const SpecialTokens& special, bool add_bos, bool add_eos) {
  special_ = special;
  add_bos_ = add_bos;
  add_eos_ = add_eos;
}

void SpTokenizer::add_token(const AddedToken& token) {
  added_by_id_[token.id] = token;
  vocab_size_ = std::max(vocab_size_, token.id + 1);
  if (token.id >= sp_->GetPieceSize())
    added_.add(token);  // the model's own pieces need no matching
}

std::vector<int64_t> SpTokenizer::encode(std::string_view text, bool add_special) const {
  if (!utf8::valid(text)) throw InputError("text to encode is not valid UTF-8");
  std::vector<int64_t> ids;
  if (add_special && add_bos_ && special_.bos) ids.push_back(*special_.bos);
  for (const Segment& seg : added_.split(text)) {
    if (seg.token) {
      ids.push_back(*seg.token);
      continue;
    }
    std::vector<int> piece_ids;
    const auto status = sp_->Encode(seg.text, &piece_ids);
    if (!status.ok())
      throw InputError(fmt::format("sentencepiece cannot encode the text: {}", status.ToString()));
    ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
  }
  if (add_special && add_eos_ && special_.eos) ids.push_back(*special_.eos);
  return ids;
}

std::string SpTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special) const {
  std::string out;
  std::vector<int> run;  // consecutive model ids decode together (sentencepiece joins pieces)
  auto flush = [&] {
    if (run.empty()) return;
    std::string text;
    const auto status = sp_->Decode(run, &text);
    if (!status.ok())
      throw InputError(fmt::format("sentencepiece cannot decode: {}", status.ToString()));
    out += text;
    run.clear();
  };
  for (int64_t id : ids) {
    if (id < 0 || id >= vocab_size_)
      throw InputError(
          fmt::format("token id {} is not in the vocabulary (size {})", id, vocab_size_));
    if (skip_special && is_special(id)) continue;
    auto added = added_by_id_.find(id);
    if (id >= sp_->GetPieceSize() && added != added_by_id_.end()) {
      flush();
      out += added->second.content;
    } else if (id < sp_->GetPieceSize()) {
      run.push_back(static_cast<int>(id));
    }
  }
  flush();
  return out;
}

std::string SpTokenizer::token(int64_t id) const {
  auto added = added_by_id_.find(id);
  if (added != added_by_id_.end()) return added->second.content;
  return id >= 0 && id < sp_->GetPieceSize() ? sp_->IdToPiece(static_cast<int>(id)) : std::string();
}

std::optional<int64_t> SpTokenizer::id_of(const std::string& token) const {
  for (const auto& [id, t] : added_by_id_)
    if (t.content == token) return id;
  const int id = sp_->PieceToId(token);
  if (id == sp_->unk_id() && sp_->IdToPiece(id) != token) return std::nullopt;
  return id;
}

bool SpTokenizer::is_special(int64_t id) const {
  auto added = added_by_id_.find(id);
  if (added != added_by_id_.end()) return added->second.special;
  return id >= 0 && id < sp_->GetPieceSize() &&
         (sp_->IsControl(static_cast<int>(id)) || sp_->IsUnknown(static_cast<int>(id)));
}

}  // namespace amkd
