#include "tokenizer/added_tokens.h"

#include <algorithm>
#include <cctype>

#include "tokenizer/utf8.h"

namespace amkd {
namespace {

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}
// Word characters for single_word: ASCII letters, digits, underscore, and any non-ASCII byte
// (a letter in most scripts).
bool is_word(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '_' || u >= 0x80;
}

}  // namespace

void AddedTokenMatcher::add(const AddedToken& token) {
  if (token.content.empty()) return;
  auto& list = by_first_byte_[static_cast<unsigned char>(token.content[0])];
  list.push_back(token);
  std::stable_sort(list.begin(), list.end(), [](const AddedToken& a, const AddedToken& b) {
    return a.content.size() > b.content.size();
  });
}

std::vector<Segment> AddedTokenMatcher::split(std::string_view text) const {
  std::vector<Segment> out;
  size_t last = 0;  // end of the previous token
  size_t pos = 0;
  while (pos < text.size()) {
    const AddedToken* hit = nullptr;
    auto it = by_first_byte_.find(static_cast<unsigned char>(text[pos]));
    if (it != by_first_byte_.end()) {
      for (const auto& t : it->second) {
        if (text.compare(pos, t.content.size(), t.content) != 0) continue;
        const size_t end = pos + t.content.size();
        if (t.single_word &&
            ((pos > 0 && is_word(text[pos - 1])) || (end < text.size() && is_word(text[end]))))
          continue;
        hit = &t;
        break;
      }
    }
    if (hit == nullptr) {
      pos += utf8::char_length(text, pos);
      continue;
    }
    size_t start = pos, end = pos + hit->content.size();
    if (hit->lstrip)
      while (start > last && is_space(text[start - 1])) --start;
    if (hit->rstrip)
      while (end < text.size() && is_space(text[end])) ++end;
    if (start > last) out.push_back({text.substr(last, start - last), std::nullopt, last});
    out.push_back({text.substr(start, end - start), hit->id, start});
    last = pos = end;
  }
  if (last < text.size()) out.push_back({text.substr(last), std::nullopt, last});
  return out;
}

}  // namespace amkd
