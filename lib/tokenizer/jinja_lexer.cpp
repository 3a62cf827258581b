// Splits a template into text and tags the way jinja2's lexer does with transformers' settings:
// `{%-`/`-%}` strip all whitespace on their side, trim_blocks drops the first newline after a
// block or comment tag, lstrip_blocks drops spaces and tabs between a line start and a block or
// comment tag, `+` turns either off for one tag, and one trailing newline of the source is
// dropped (keep_trailing_newline is off).
#include <fmt/format.h>

#include "common/errors.h"
#include "tokenizer/jinja_ast.h"
#include "tokenizer/utf8.h"

namespace amkd::jinja {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

std::string normalize_newlines(const std::string& source) {
  std::string out;
  out.reserve(source.size());
  for (size_t k = 0; k < source.size(); ++k) {
    if (source[k] == '\r') {
      out += '\n';
      if (k + 1 < source.size() && source[k + 1] == '\n') ++k;
    } else {
      out += source[k];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class Lexer {
 public:
  Lexer(const std::string& source, const std::string& where) : src_(source), where_(where) {}

  std::vector<Piece> run() {
    std::vector<Piece> pieces;
    bool line_starting = true;
    while (pos_ < src_.size()) {
      size_t open = src_.find('{', pos_);
      while (open != std::string::npos && open + 1 < src_.size() && src_[open + 1] != '{' &&
             src_[open + 1] != '%' && src_[open + 1] != '#')
        open = src_.find('{', open + 1);
      if (open == std::string::npos || open + 1 >= src_.size()) {
        add_text(pieces, src_.substr(pos_));
        advance(src_.size());
        break;
      }
      const char kind = src_[open + 1];
      const char sign = open + 2 < src_.size() && (src_[open + 2] == '-' || src_[open + 2] == '+')
                            ? src_[open + 2]
                            : '\0';
      std::string text = src_.substr(pos_, open - pos_);
      if (sign == '-') {
        size_t end = text.size();
        while (end > 0 && is_space(text[end - 1])) --end;
        text.resize(end);
      } else if (sign != '+' && kind != '{') {  // lstrip_blocks
        const size_t line_start = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
        if ((line_start > 0 || line_starting) && line_start < text.size() &&
            text.find_first_not_of(" \t\f\v", line_start) == std::string::npos)
          text.resize(line_start);
      }
      add_text(pieces, text);
      advance(open + 2 + (sign ? 1 : 0));
      const int tag_line = line_;
      if (kind == '#') {
        const size_t close = src_.find("#}", pos_);
        if (close == std::string::npos) fail(tag_line, "missing end of comment tag");
        const char end_sign = close > pos_ ? src_[close - 1] : '\0';
        advance(close + 2);
        finish_tag(end_sign, true);
      } else {
        Piece piece;
        piece.type = kind == '{' ? Piece::kOutput : Piece::kStatement;
        piece.line = tag_line;
        piece.tokens = tag_tokens(kind == '{' ? '}' : '%');
        if (piece.type == Piece::kStatement && !piece.tokens.empty() &&
            piece.tokens[0].type == Token::kName && piece.tokens[0].text == "raw")
          fail(tag_line, "unsupported Jinja construct 'raw'");
        pieces.push_back(std::move(piece));
      }
      line_starting = pos_ > 0 && src_[pos_ - 1] == '\n';
    }
    return pieces;
  }

 private:
  const std::string& src_;
  const std::string& where_;
  size_t pos_ = 0;
  int line_ = 1;

  [[noreturn]] void fail(int line, const std::string& what) const {
    throw InputError(fmt::format("{}: chat_template line {}: {}", where_, line, what));
  }

  void advance(size_t to) {
    for (size_t k = pos_; k < to; ++k)
      if (src_[k] == '\n') ++line_;
    pos_ = to;
  }

  static void add_text(std::vector<Piece>& pieces, const std::string& text) {
    if (text.empty()) return;
    Piece p;
    p.text = text;
    pieces.push_back(std::move(p));
  }

  // After a tag's closing delimiter: `-` strips all following whitespace, `+` nothing, else
  // trim_blocks drops one newline (block and comment tags only).
  void finish_tag(char end_sign, bool trim_blocks) {
    if (end_sign == '-') {
      size_t k = pos_;
      while (k < src_.size() && is_space(src_[k])) ++k;
      advance(k);
    } else if (end_sign != '+' && trim_blocks && pos_ < src_.size() && src_[pos_] == '\n') {
      advance(pos_ + 1);
    }
  }

  std::vector<Token> tag_tokens(char close) {
    const int start_line = line_;
    std::vector<Token> tokens;
    std::vector<char> brackets;
    const std::string end = std::string(1, close) + "}";
    while (true) {
      if (pos_ >= src_.size())
        fail(start_line,
             fmt::format("unexpected end of template (the tag is not closed with '{}')", end));
      if (brackets.empty()) {
        if (src_.compare(pos_, 3, "-" + end) == 0 ||
            (close == '%' && src_.compare(pos_, 3, "+" + end) == 0)) {
          const char sign = src_[pos_];
          advance(pos_ + 3);
          finish_tag(sign, close == '%');
          break;
        }
        if (src_.compare(pos_, 2, end) == 0) {
          advance(pos_ + 2);
          finish_tag('\0', close == '%');
          break;
        }
      }
      const char c = src_[pos_];
      if (is_space(c)) {
        advance(pos_ + 1);
        continue;
      }
      Token t;
      t.line = line_;
      if (is_digit(c)) {
        number(t, !tokens.empty() && tokens.back().type == Token::kOp && tokens.back().text == ".");
      } else if (is_name_start(c)) {
        size_t k = pos_;
        while (k < src_.size() && is_name_char(src_[k])) ++k;
        t.type = Token::kName;
        t.text = src_.substr(pos_, k - pos_);
        advance(k);
      } else if (c == '\'' || c == '"') {
        t.type = Token::kString;
        t.text = string_literal();
      } else {
        t.type = Token::kOp;
        static const char* const two[] = {"//", "**", "==", "!=", ">=", "<="};
        for (const char* op : two)
          if (src_.compare(pos_, 2, op) == 0) t.text = op;
        if (t.text.empty()) {
          if (std::string("+-/*%~[](){}<>=.:|,;").find(c) == std::string::npos)
            fail(line_, fmt::format("unexpected character '{}'", std::string(1, c)));
          t.text = std::string(1, c);
          if (c == '(' || c == '[' || c == '{') {
            brackets.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
          } else if (c == ')' || c == ']' || c == '}') {
            if (brackets.empty()) fail(line_, fmt::format("unexpected '{}'", t.text));
            if (brackets.back() != c)
              fail(line_, fmt::format("unexpected '{}', expected '{}'", t.text,
                                      std::string(1, brackets.back())));
            brackets.pop_back();
          }
        }
        advance(pos_ + t.text.size());
      }
      tokens.push_back(std::move(t));
    }
    Token e;
    e.type = Token::kEnd;
    e.line = line_;
    tokens.push_back(e);
    return tokens;
  }

  void number(Token& t, bool after_dot) {
    size_t k = pos_;
    auto digits = [&] {
      while (k < src_.size() && (is_digit(src_[k]) ||
                                 (src_[k] == '_' && k + 1 < src_.size() && is_digit(src_[k + 1]))))
        ++k;
    };
    digits();
    bool is_float = false;
    if (!after_dot && k + 1 < src_.size() && src_[k] == '.' && is_digit(src_[k + 1])) {
      ++k;
      digits();
      is_float = true;
    }
    if (!after_dot && k < src_.size() && (src_[k] == 'e' || src_[k] == 'E')) {
      size_t m = k + 1;
      if (m < src_.size() && (src_[m] == '+' || src_[m] == '-')) ++m;
      if (m < src_.size() && is_digit(src_[m])) {
        k = m;
        digits();
        is_float = true;
      }
    }
    std::string text;
    for (size_t j = pos_; j < k; ++j)
      if (src_[j] != '_') text += src_[j];
    try {
      if (is_float) {
        t.type = Token::kFloat;
        t.f = std::stod(text);
      } else {
        t.type = Token::kInt;
        t.i = std::stoll(text);
      }
    } catch (const std::exception&) {
      fail(line_, fmt::format("number '{}' is out of range", text));
    }
    t.text = text;
    advance(k);
  }

  // A quoted literal with Python's unicode-escape rules (unknown escapes stay as written).
  std::string string_literal() {
    const char quote = src_[pos_];
    const int start_line = line_;
    std::string out;
    size_t k = pos_ + 1;
    auto hex = [&](size_t n) {
      if (k + n > src_.size()) fail(line_, "truncated \\x, \\u or \\U escape in a string");
      char32_t cp = 0;
      for (size_t j = 0; j < n; ++j) {
        const char h = src_[k + j];
        int d = is_digit(h)              ? h - '0'
                : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                         : -1;
        if (d < 0) fail(line_, "truncated \\x, \\u or \\U escape in a string");
        cp = cp * 16 + static_cast<char32_t>(d);
      }
      k += n;
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        fail(line_, "string escape outside Unicode scalar values");
      utf8::append(out, cp);
    };
    while (true) {
      if (k >= src_.size()) fail(start_line, "unterminated string literal");
      const char c = src_[k];
      if (c == quote) break;
      if (c != '\\') {
        out += c;
        ++k;
        continue;
      }
      if (k + 1 >= src_.size()) fail(start_line, "unterminated string literal");
      const char e = src_[k + 1];
      k += 2;
      switch (e) {
        case '\n':
          break;  // line continuation
        case '\\':
        case '\'':
        case '"':
          out += e;
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case 'a':
          out += '\a';
          break;
        case 'x':
          hex(2);
          break;
        case 'u':
          hex(4);
          break;
        case 'U':
          hex(8);
          break;
        case 'N':
          fail(line_, "unsupported string escape '\\N{...}'");
        default:
          if (e >= '0' && e <= '7') {  // up to three octal digits
            char32_t cp = static_cast<char32_t>(e - '0');
            for (int n = 0; n < 2 && k < src_.size() && src_[k] >= '0' && src_[k] <= '7'; ++n)
              cp = cp * 8 + static_cast<char32_t>(src_[k++] - '0');
            utf8::append(out, cp);
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    advance(k + 1);
    return out;
  }
};

}  // namespace

std::vector<Piece> lex(const std::string& source, const std::string& where, const Limits& limits) {
  if (source.size() > limits.max_source)
    throw InputError(
        fmt::format("{}: chat_template is longer than {} characters", where, limits.max_source));
  if (!utf8::valid(source)) throw InputError(fmt::format("{}: chat_template is not UTF-8", where));
  const std::string normalized = normalize_newlines(source);
  return Lexer(normalized, where).run();
}

}  // namespace amkd::jinja
