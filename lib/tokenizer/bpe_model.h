#pragma once
// The BPE model of tokenizer.json, merging exactly as Hugging Face tokenizers does: symbols are
// vocabulary ids, the lowest-ranked adjacent pair merges first (leftmost on ties), characters
// outside the vocabulary become <0xXX> byte tokens (byte_fallback) or the unknown token.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace amkd {

class BpeModel {
 public:
  // `model` is tokenizer.json's "model" object; `source` names the file in errors (InputError).
  BpeModel(const nlohmann::json& model, const std::string& source);

  // Appends the ids of one pre-tokenized word.
  void tokenize(std::string_view word, std::vector<int64_t>& out) const;

  const std::unordered_map<std::string, int64_t>& vocab() const { return vocab_; }
  const std::vector<std::string>& id_to_token() const { return id_to_token_; }

 private:
  struct PairHash {
    size_t operator()(uint64_t key) const { return std::hash<uint64_t>()(key); }
  };
  static uint64_t pair_key(int64_t a, int64_t b) {
    return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b);
  }
  std::vector<int64_t> merge_word(std::string_view word) const;

  std::unordered_map<std::string, int64_t> vocab_;
  std::vector<std::string> id_to_token_;
  std::unordered_map<uint64_t, std::pair<int64_t, int64_t>, PairHash>
      merges_;  // pair -> (rank, new id)
  std::optional<int64_t> unk_id_;
  bool byte_fallback_ = false;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;
  std::string continuing_subword_prefix_, end_of_word_suffix_;
  int64_t byte_ids_[256];  // id of "<0xXX>", or -1

  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int64_t>> cache_;
};

}  // namespace amkd
