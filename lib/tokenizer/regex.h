#pragma once
// Unicode-aware regular expressions (PCRE2, UTF + UCP, JIT) for tokenizer.json split patterns.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace amkd {

class Regex {
 public:
  // Throws InputError naming `where` when the pattern does not compile.
  Regex(const std::string& pattern, const std::string& where);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Every non-overlapping match [begin, end) of the pattern in valid UTF-8 `text`, left to right.
  // Throws InputError when PCRE2 gives up (a match, depth or JIT stack limit): never a partial
  // answer.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A pattern that matches `literal` exactly.
std::string regex_escape(std::string_view literal);

}  // namespace amkd
