#include "eval/text_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <regex>

#include "eval/porter_stemmer.h"
#include "tokenizer/utf8.h"

namespace amkd {
namespace {

bool ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

std::vector<std::string> rouge_tokens(std::string_view text) {
  // Python's lower() maps only two non-ASCII characters to ASCII letters: KELVIN SIGN -> "k" and
  // LATIN CAPITAL I WITH DOT ABOVE -> "i" + a combining dot (a separator here).
  std::vector<std::string> tokens;
  std::string current;
  auto flush = [&] {
    if (current.empty()) return;
    tokens.push_back(current.size() > 3 ? porter_stem(current) : current);
    current.clear();
  };
  const std::string valid = utf8::lossy(text);
  for (size_t i = 0; i < valid.size(); i += utf8::char_length(valid, i)) {
    const char32_t cp = utf8::decode(valid, i);
    char c = 0;
    if (cp < 0x80) c = static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    if (cp == 0x212A) c = 'k';
    if (cp == 0x130) c = 'i';
    if (c != 0 && ascii_alnum(c)) {
      current += c;
      if (cp == 0x130) flush();  // the combining dot that follows separates
    } else {
      flush();
    }
  }
  flush();
  // Stemming keeps tokens in [a-z0-9]; rouge-score's final filter drops nothing else here.
  std::erase_if(tokens, [](const std::string& t) { return t.empty(); });
  return tokens;
}

double rouge_l(std::string_view prediction, std::string_view reference) {
  const auto p = rouge_tokens(prediction), r = rouge_tokens(reference);
  if (p.empty() || r.empty()) return 0.0;
  // LCS length with one rolling row.
  std::vector<int> row(p.size() + 1, 0);
  for (const auto& rt : r) {
    int diagonal = 0;
    for (size_t j = 1; j <= p.size(); ++j) {
      const int up = row[j];
      row[j] = rt == p[j - 1] ? diagonal + 1 : std::max(row[j], row[j - 1]);
      diagonal = up;
    }
  }
  const double lcs = row[p.size()];
  const double precision = lcs / static_cast<double>(p.size());
  const double recall = lcs / static_cast<double>(r.size());
  return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
}

std::string normalize_answer(std::string_view text) {
  static const std::string punctuation = R"(!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~)";
  std::string out;
  bool space = false;
  for (char ch : text) {
    if (punctuation.find(ch) != std::string::npos) continue;
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
  }
  return out;
}

bool exact_match(std::string_view prediction, std::string_view reference) {
  return normalize_answer(prediction) == normalize_answer(reference);
}

std::optional<std::string> last_number(std::string_view text) {
  static const std::regex number(R"(-?[0-9][0-9,]*(\.[0-9]+)?)");
  std::optional<std::string> last;
  const std::string s(text);
  for (std::sregex_iterator it(s.begin(), s.end(), number), end; it != end; ++it) {
    std::string n = it->str();
    std::erase(n, ',');
    last = n;
  }
  return last;
}

std::optional<std::string> gsm8k_gold(std::string_view answer) {
  const size_t at = answer.rfind("####");
  if (at == std::string_view::npos) return std::nullopt;
  return last_number(answer.substr(at + 4));
}

bool gsm8k_correct(std::string_view prediction, std::string_view gold_answer) {
  const auto gold = gsm8k_gold(gold_answer);
  const auto pred = last_number(prediction);
  if (!gold || !pred) return false;
  return std::abs(std::strtod(gold->c_str(), nullptr) - std::strtod(pred->c_str(), nullptr)) < 1e-9;
}

}  // namespace amkd
