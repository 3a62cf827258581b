#pragma once
// One tokenizer interface over sentencepiece models (tokenizer.model) and Hugging Face
// tokenizer.json files, with ids identical to Hugging Face's. load_tokenizer() picks the files
// of a model directory as transformers does (tokenizer.json when both exist) and applies
// tokenizer_config.json (add_bos_token, add_eos_token, special tokens).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace amkd {

struct SpecialTokens {
  std::optional<int64_t> bos, eos, pad, unk;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Text (valid UTF-8; otherwise InputError) to ids; with add_special the model's special tokens
  // (e.g. BOS) are added as Hugging Face's encode(add_special_tokens=True) does.
  virtual std::vector<int64_t> encode(std::string_view text, bool add_special = false) const = 0;
  // Ids to text; skip_special drops special tokens. Ids outside the vocabulary are InputErrors.
  virtual std::string decode(const std::vector<int64_t>& ids, bool skip_special = false) const = 0;
  // One more than the largest id (added tokens included).
  virtual int64_t vocab_size() const = 0;
  // The token string of an id ("" for an unused id), and the id of a token string.
  virtual std::string token(int64_t id) const = 0;
  virtual std::optional<int64_t> id_of(const std::string& token) const = 0;
  virtual bool is_special(int64_t id) const = 0;
  // "tokenizer.json (BPE)" or "sentencepiece (BPE)": what was loaded, for messages.
  virtual std::string kind() const = 0;

  const SpecialTokens& special() const { return special_; }
  // The directory load_tokenizer() read (where its chat template is); empty otherwise.
  const std::string& directory() const { return directory_; }
  void set_directory(std::string dir) { directory_ = std::move(dir); }

 protected:
  SpecialTokens special_;
  std::string directory_;
};

// The id batches are padded with: pad, else EOS, else 0 (padding is masked out either way).
inline int64_t pad_id_of(const Tokenizer& tokenizer) {
  const SpecialTokens& s = tokenizer.special();
  return s.pad ? *s.pad : s.eos ? *s.eos : 0;
}

// Loads the tokenizer of a model directory; InputError naming the file when none is usable.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& dir);

}  // namespace amkd
