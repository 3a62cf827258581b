#pragma once
// Tokenizer from a Hugging Face tokenizer.json (BPE model): added tokens, normalizer,
// pre-tokenizer, model, post-processor, decoder, in the order tokenizers applies them.
#include <memory>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/text_pipeline.h"
#include "tokenizer/tokenizer.h"

namespace amkd {

class HfTokenizer : public Tokenizer {
 public:
  HfTokenizer(const nlohmann::json& j, const std::string& path);

  std::vector<int64_t> encode(std::string_view text, bool add_special = false) const override;
  std::string decode(const std::vector<int64_t>& ids, bool skip_special = false) const override;
  int64_t vocab_size() const override { return vocab_size_; }
  std::string token(int64_t id) const override;
  std::optional<int64_t> id_of(const std::string& token) const override;
  bool is_special(int64_t id) const override;
  std::string kind() const override { return "tokenizer.json (BPE)"; }

  // tokenizer_config.json's add_bos_token/add_eos_token replace the post-processor, as
  // transformers' Llama-style fast tokenizers do.
  void set_special_wrapping(std::optional<int64_t> bos, std::optional<int64_t> eos);
  void set_special(const SpecialTokens& special) { special_ = special; }

 private:
  void encode_text(std::string_view text, bool at_start, std::vector<int64_t>& ids) const;

  std::unique_ptr<BpeModel> model_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  AddedTokenMatcher raw_tokens_, normalized_tokens_;
  std::unordered_map<int64_t, AddedToken> added_by_id_;
  std::unordered_map<std::string, int64_t> added_by_content_;
  int64_t vocab_size_ = 0;
};

}  // namespace amkd
