#include "eval/bleu.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "common/errors.h"

namespace amkd {
namespace {

constexpr int kMaxOrder = 4;

// Code point at s[i], advancing i; an invalid byte counts as one non-space unit.
char32_t next_code_point(std::string_view s, size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  const int n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = n == 1 ? b : b & (0x7F >> n);
  for (int k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c >> 6) != 2) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  i += n;
  return cp;
}

// Python's str.isspace() (what str.split() and str.rstrip() use), Python 3.11 / Unicode 14.
bool python_space(char32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Python's str.split() with no argument.
std::vector<std::string_view> split_python(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = std::string_view::npos;
  for (size_t i = 0; i < s.size();) {
    const size_t at = i;
    if (python_space(next_code_point(s, i))) {
      if (start != std::string_view::npos) out.push_back(s.substr(start, at - start));
      start = std::string_view::npos;
    } else if (start == std::string_view::npos) {
      start = at;
    }
  }
  if (start != std::string_view::npos) out.push_back(s.substr(start));
  return out;
}

// Python's str.rstrip() with no argument.
std::string_view rstrip_python(std::string_view s) {
  size_t end = 0;
  for (size_t i = 0; i < s.size();) {
    if (!python_space(next_code_point(s, i))) end = i;
  }
  return s.substr(0, end);
}

// Python's str.replace(from, to): every non-overlapping occurrence, left to right.
std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string_view::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out.append(to);
  }
  out.append(s, pos);
  return out;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_period_or_comma(char c) {
  return c == '.' || c == ',';
}

// [\{-\~\[-\` -\&\(-\+\:-\@\/]: ASCII punctuation except ' - . , (and with the space).
bool is_split_punct(char c) {
  return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') ||
         (c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/';
}

// The four regex substitutions of sacrebleu's TokenizerRegexp, applied in order, each scanning
// left to right with non-overlapping matches like re.sub. Every pattern is two characters at
// most and the characters it names are ASCII, so scanning UTF-8 bytes finds the same matches as
// scanning code points ([^0-9] then simply matches the last or first byte of a multi-byte one).
std::string regex_tokenize(std::string_view line) {
  std::string a;
  a.reserve(line.size() * 2);
  for (char c : line) {  // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> ' \1 '
    if (is_split_punct(c)) {
      a += ' ';
      a += c;
      a += ' ';
    } else {
      a += c;
    }
  }
  std::string b;
  b.reserve(a.size() + a.size() / 4);
  for (size_t i = 0; i < a.size();) {  // ([^0-9])([\.,]) -> '\1 \2 '
    if (i + 1 < a.size() && !is_digit(a[i]) && is_period_or_comma(a[i + 1])) {
      b += a[i];
      b += ' ';
      b += a[i + 1];
      b += ' ';
      i += 2;
    } else {
      b += a[i++];
    }
  }
  std::string c;
  c.reserve(b.size() + b.size() / 4);
  for (size_t i = 0; i < b.size();) {  // ([\.,])([^0-9]) -> ' \1 \2'
    if (i + 1 < b.size() && is_period_or_comma(b[i]) && !is_digit(b[i + 1])) {
      c += ' ';
      c += b[i];
      c += ' ';
      c += b[i + 1];
      i += 2;
    } else {
      c += b[i++];
    }
  }
  std::string d;
  d.reserve(c.size() + c.size() / 4);
  for (size_t i = 0; i < c.size();) {  // ([0-9])(-) -> '\1 \2 '
    if (i + 1 < c.size() && is_digit(c[i]) && c[i + 1] == '-') {
      d += c[i];
      d += " - ";
      i += 2;
    } else {
      d += c[i++];
    }
  }
  return d;
}

// N-gram (orders 1..4, tokens joined by ' ', which no token contains) -> count.
using NgramCounts = std::unordered_map<std::string, int64_t>;

NgramCounts count_ngrams(const std::vector<std::string_view>& tokens) {
  NgramCounts counts;
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string key;
    for (size_t n = 1; n <= kMaxOrder && i + n <= tokens.size(); ++n) {
      if (n > 1) key += ' ';
      key.append(tokens[i + n - 1]);
      ++counts[key];
    }
  }
  return counts;
}

size_t spaces(const std::string& key) {
  return std::count(key.begin(), key.end(), ' ');
}

// sacrebleu's _get_closest_ref_len: the nearest length, the shorter one on a tie.
int64_t closest_ref_len(int64_t hyp_len, const std::vector<int64_t>& ref_lens) {
  int64_t closest_diff = -1, closest_len = -1;
  for (int64_t len : ref_lens) {
    const int64_t diff = std::abs(hyp_len - len);
    if (closest_diff == -1 || diff < closest_diff) {
      closest_diff = diff;
      closest_len = len;
    } else if (diff == closest_diff && len < closest_len) {
      closest_len = len;
    }
  }
  return closest_len;
}

// sacrebleu's utils.my_log: log with log(0) floored to -9999999999.
double my_log(double x) {
  return x == 0.0 ? -9999999999.0 : std::log(x);
}

}  // namespace

std::string tokenize_13a(std::string_view text) {
  std::string line = replace_all(text, "<skipped>", "");
  line = replace_all(line, "-\n", "");
  line = replace_all(line, "\n", " ");
  if (line.find('&') != std::string::npos) {
    line = replace_all(line, "&quot;", "\"");
    line = replace_all(line, "&amp;", "&");
    line = replace_all(line, "&lt;", "<");
    line = replace_all(line, "&gt;", ">");
  }
  const std::string tokenized = regex_tokenize(" " + line + " ");
  std::string out;
  out.reserve(tokenized.size());
  for (std::string_view token : split_python(tokenized)) {
    if (!out.empty()) out += ' ';
    out.append(token);
  }
  return out;
}

BleuScore corpus_bleu(const std::vector<std::string>& hypotheses,
                      const std::vector<std::vector<std::string>>& references) {
  if (hypotheses.size() != references.size()) {
    throw InputError("corpus_bleu: " + std::to_string(hypotheses.size()) + " hypotheses but " +
                     std::to_string(references.size()) + " reference lists");
  }
  if (hypotheses.empty()) throw InputError("corpus_bleu: no hypotheses");

  BleuScore s;
  s.counts.assign(kMaxOrder, 0);
  s.totals.assign(kMaxOrder, 0);
  for (size_t item = 0; item < hypotheses.size(); ++item) {
    if (references[item].empty()) {
      throw InputError("corpus_bleu: item " + std::to_string(item) + " has no reference");
    }
    // References: n-gram counts merged by maximum over references, and every length.
    NgramCounts ref_ngrams;
    std::vector<int64_t> ref_lens;
    for (const auto& ref : references[item]) {
      const std::string tokenized = tokenize_13a(rstrip_python(ref));
      const auto tokens = split_python(tokenized);
      ref_lens.push_back(static_cast<int64_t>(tokens.size()));
      for (auto& [ngram, count] : count_ngrams(tokens)) {
        int64_t& best = ref_ngrams[ngram];
        best = std::max(best, count);
      }
    }
    const std::string tokenized = tokenize_13a(rstrip_python(hypotheses[item]));
    const auto tokens = split_python(tokenized);
    const auto hyp_len = static_cast<int64_t>(tokens.size());
    s.sys_len += hyp_len;
    s.ref_len += closest_ref_len(hyp_len, ref_lens);
    for (const auto& [ngram, count] : count_ngrams(tokens)) {
      const size_t n = spaces(ngram);
      s.totals[n] += count;
      if (auto it = ref_ngrams.find(ngram); it != ref_ngrams.end()) {
        s.counts[n] += std::min(count, it->second);
      }
    }
  }

  // BLEU.compute_bleu with smooth_method='exp', effective_order=False.
  if (s.sys_len < s.ref_len) {
    s.bp = s.sys_len > 0
               ? std::exp(1.0 - static_cast<double>(s.ref_len) / static_cast<double>(s.sys_len))
               : 0.0;
  }
  s.precisions.assign(kMaxOrder, 0.0);
  if (std::all_of(s.counts.begin(), s.counts.end(), [](int64_t c) { return c == 0; })) {
    s.score = 0.0;  // no match at any order (sacrebleu's early return)
    return s;
  }
  double smooth_mteval = 1.0;
  for (int n = 0; n < kMaxOrder; ++n) {
    if (s.totals[n] == 0) break;  // later precisions stay 0 and floor the score to 0
    if (s.counts[n] == 0) {
      smooth_mteval *= 2;
      s.precisions[n] = 100.0 / (smooth_mteval * static_cast<double>(s.totals[n]));
    } else {
      s.precisions[n] = 100.0 * static_cast<double>(s.counts[n]) / static_cast<double>(s.totals[n]);
    }
  }
  double log_sum = 0.0;
  for (double p : s.precisions) log_sum += my_log(p);
  s.score = s.bp * std::exp(log_sum / kMaxOrder);
  return s;
}

}  // namespace amkd
