#pragma once
// Added tokens (special tokens, chat markers) are found in the text before the model sees it,
// leftmost-longest as Hugging Face's AddedVocabulary does, with its lstrip/rstrip/single_word
// rules.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace amkd {

struct AddedToken {
  std::string content;
  int64_t id = 0;
  bool special = false;
  bool normalized = false;  // matched after the normalizer (on normalized text)
  bool lstrip = false, rstrip = false, single_word = false;
};

// A piece of input: either plain text or one added token.
struct Segment {
  std::string_view text;
  std::optional<int64_t> token;
  size_t offset = 0;  // byte offset of the segment in the text it was split from
};

class AddedTokenMatcher {
 public:
  void add(const AddedToken& token);
  bool empty() const { return by_first_byte_.empty(); }
  // Splits `text` into text segments and added-token segments (empty text segments dropped).
  std::vector<Segment> split(std::string_view text) const;

 private:
  std::unordered_map<unsigned char, std::vector<AddedToken>> by_first_byte_;  // longest first
};

}  // namespace amkd
