#pragma once
// Tokenizer from a sentencepiece model (tokenizer.model), as transformers' LlamaTokenizer uses it:
// sentencepiece's own encoding, BOS/EOS added per tokenizer_config.json, and added tokens from
// tokenizer_config.json's added_tokens_decoder matched before the model.
#include <memory>
#include <unordered_map>

#include "tokenizer/added_tokens.h"
#include "tokenizer/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace amkd {

class SpTokenizer : public Tokenizer {
 public:
  explicit SpTokenizer(const std::string& path);
  ~SpTokenizer() override;

  std::vector<int64_t> encode(std::string_view text, bool add_special = false) const override;
  std::string decode(const std::vector<int64_t>& ids, bool skip_special = false) const override;
  int64_t vocab_size() const override { return vocab_size_; }
  std::string token(int64_t id) const override;
  std::optional<int64_t> id_of(const std::string& token) const override;
  bool is_special(int64_t id) const override;
  std::string kind() const override { return "sentencepiece"; }

  void set_special(const SpecialTokens& special, bool add_bos, bool add_eos);
  void add_token(const AddedToken& token);  // from tokenizer_config.json, ids past the model's

 private:
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  bool add_bos_ = true, add_eos_ = false;
  AddedTokenMatcher added_;
  std::unordered_map<int64_t, AddedToken> added_by_id_;
  int64_t vocab_size_ = 0;
};

}  // namespace amkd
