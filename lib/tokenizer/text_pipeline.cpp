#include "tokenizer/text_pipeline.h"

#include <array>
#include <unordered_map>

#include <fmt/format.h>
#include <utf8proc.h>

#include "common/errors.h"
#include "common/json_io.h"
#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"

namespace amkd {
namespace {

using nlohmann::json;

const char* const kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::string type_of(const json& j, const std::string& where) {
  if (!j.is_object())
    throw InputError(
        fmt::format("{}: expected an object, found {}", where, j.dump().substr(0, 60)));
  return json_string(j, "type", "", where);
}

[[noreturn]] void unsupported(const std::string& kind, const std::string& type,
                              const std::string& where) {
  throw InputError(fmt::format(
      "{}: {} '{}' is not supported by amkd (refusing rather than tokenizing differently)", where,
      kind, type.empty() ? "(no type)" : type));
}

const json& list_field(const json& j, const char* key, const std::string& where) {
  if (!j.contains(key) || !j[key].is_array())
    throw InputError(fmt::format("{}: '{}' must be a list", where, key));
  return j[key];
}

// {"String": s} or {"Regex": r} -> regex source.
std::string pattern_of(const json& j, const std::string& where) {
  if (!j.contains("pattern") || !j["pattern"].is_object())
    throw InputError(
        fmt::format("{}: 'pattern' must be {{\"String\": ...}} or {{\"Regex\": ...}}", where));
  const json& p = j["pattern"];
  if (p.contains("String") && p["String"].is_string())
    return regex_escape(p["String"].get<std::string>());
  if (p.contains("Regex") && p["Regex"].is_string()) return p["Regex"].get<std::string>();
  throw InputError(
      fmt::format("{}: 'pattern' must be {{\"String\": ...}} or {{\"Regex\": ...}}", where));
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  std::string out;
  size_t pos = 0;
  for (size_t hit = s.find(from); hit != std::string::npos; hit = s.find(from, pos)) {
    out.append(s, pos, hit - pos);
    out += to;
    pos = hit + from.size();
  }
  out.append(s, pos);
  s = std::move(out);
}

// ---- normalizers ----

class SequenceNormalizer : public Normalizer {
 public:
  std::vector<std::unique_ptr<Normalizer>> steps;
  void normalize(std::string& text) const override {
    for (const auto& s : steps) s->normalize(text);
  }
};

class PrependNormalizer : public Normalizer {
 public:
  std::string prefix;
  void normalize(std::string& text) const override {
    if (!text.empty()) text = prefix + text;
  }
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(const std::string& pattern, std::string content, const std::string& where)
      : regex(pattern, where), content(std::move(content)) {}
  Regex regex;
  std::string content;
  void normalize(std::string& text) const override {
    std::string out;
    size_t pos = 0;
    for (auto [b, e] : regex.find_all(text)) {
      out.append(text, pos, b - pos);
      out += content;
      pos = e;
    }
    out.append(text, pos);
    text = std::move(out);
  }
};

class StripNormalizer : public Normalizer {
 public:
  bool left = true, right = true;
  void normalize(std::string& text) const override {
    static const char* ws = " \t\n\r\f\v";
    if (right) text.erase(text.find_last_not_of(ws) + 1);
    if (left) text.erase(0, std::min(text.size(), text.find_first_not_of(ws)));
  }
};

class UnicodeNormalizer : public Normalizer {
 public:
  utf8proc_option_t options{};
  void normalize(std::string& text) const override {
    utf8proc_uint8_t* out = nullptr;
    const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                static_cast<utf8proc_ssize_t>(text.size()), &out, options);
    if (n < 0) throw InputError(fmt::format("text is not valid UTF-8 ({})", utf8proc_errmsg(n)));
    text.assign(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
    std::free(out);
  }
};

// ---- pre-tokenizers ----

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

Behavior behavior_of(const json& j, const std::string& where) {
  const std::string b = json_string(j, "behavior", "Isolated", where);
  if (b == "Removed") return Behavior::kRemoved;
  if (b == "Isolated") return Behavior::kIsolated;
  if (b == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return Behavior::kMergedWithNext;
  if (b == "Contiguous") return Behavior::kContiguous;
  throw InputError(fmt::format("{}: unknown split behavior '{}'", where, b));
}

// Splits `text` at the regex matches (delimiters; with `invert` the gaps are), as tokenizers'
// NormalizedString::split does for each behavior.
std::vector<std::string> split_text(const std::string& text, const Regex& regex, Behavior behavior,
                                    bool invert) {
  std::vector<std::pair<std::pair<size_t, size_t>, bool>> parts;  // ((begin, end), is_delimiter)
  size_t pos = 0;
  for (auto [b, e] : regex.find_all(text)) {
    if (b > pos) parts.push_back({{pos, b}, invert});
    parts.push_back({{b, e}, !invert});
    pos = e;
  }
  if (pos < text.size()) parts.push_back({{pos, text.size()}, invert});

  std::vector<std::pair<std::pair<size_t, size_t>, bool>> merged;
  bool previous = false;
  switch (behavior) {
    case Behavior::kIsolated:
      merged = parts;
      break;
    case Behavior::kRemoved:
      for (auto& p : parts)
        if (!p.second) merged.push_back(p);
      break;
    case Behavior::kMergedWithPrevious:
      for (auto& p : parts) {
        if (p.second && !previous && !merged.empty())
          merged.back().first.second = p.first.second;
        else
          merged.push_back(p);
        previous = p.second;
      }
      break;
    case Behavior::kMergedWithNext:
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->second && !previous && !merged.empty())
          merged.back().first.first = it->first.first;
        else
          merged.push_back(*it);
        previous = it->second;
      }
      std::reverse(merged.begin(), merged.end());
      break;
    case Behavior::kContiguous:
      for (auto& p : parts) {
        if (p.second == previous && !merged.empty())
          merged.back().first.second = p.first.second;
        else
          merged.push_back(p);
        previous = p.second;
      }
      break;
  }
  std::vector<std::string> out;
  for (auto& [range, delim] : merged)
    if (range.second > range.first)
      out.push_back(text.substr(range.first, range.second - range.first));
  return out;
}

void split_pieces(std::vector<Piece>& pieces, const Regex& regex, Behavior behavior, bool invert) {
  std::vector<Piece> out;
  for (auto& piece : pieces) {
    bool first = piece.at_start;
    for (auto& s : split_text(piece.text, regex, behavior, invert)) {
      out.push_back({std::move(s), first});
      first = false;
    }
  }
  pieces = std::move(out);
}

class SequencePreTokenizer : public PreTokenizer {
 public:
  std::vector<std::unique_ptr<PreTokenizer>> steps;
  void split(std::vector<Piece>& pieces) const override {
    for (const auto& s : steps) s->split(pieces);
  }
};

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(const std::string& pattern, Behavior behavior, bool invert,
                    const std::string& where)
      : regex(pattern, where), behavior(behavior), invert(invert) {}
  Regex regex;
  Behavior behavior;
  bool invert;
  void split(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, regex, behavior, invert);
  }
};

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  explicit ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space(add_prefix_space),
        regex(use_regex ? std::make_unique<Regex>(kGpt2Pattern, "ByteLevel") : nullptr) {}
  bool add_prefix_space;
  std::unique_ptr<Regex> regex;
  void split(std::vector<Piece>& pieces) const override {
    if (add_prefix_space)
      for (auto& p : pieces)
        if (p.text.empty() || p.text[0] != ' ') p.text = " " + p.text;
    if (regex) split_pieces(pieces, *regex, Behavior::kIsolated, false);
    for (auto& p : pieces) {
      std::string mapped;
      mapped.reserve(p.text.size() * 2);
      for (unsigned char c : p.text) mapped += byte_to_unicode(c);
      p.text = std::move(mapped);
    }
  }
};

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  std::string replacement = "\xE2\x96\x81";  // ▁
  std::string prepend_scheme = "always";     // always | first | never
  bool split_on_replacement = true;
  std::unique_ptr<Regex> regex;
  void split(std::vector<Piece>& pieces) const override {
    for (auto& p : pieces) {
      replace_all(p.text, " ", replacement);
      const bool prepend = prepend_scheme == "always" || (prepend_scheme == "first" && p.at_start);
      if (prepend && p.text.rfind(replacement, 0) != 0) p.text = replacement + p.text;
    }
    if (split_on_replacement) split_pieces(pieces, *regex, Behavior::kMergedWithNext, false);
  }
};

// ---- decoders ----

class SequenceDecoder : public Decoder {
 public:
  std::vector<std::unique_ptr<Decoder>> steps;
  void decode(std::vector<std::string>& tokens) const override {
    for (const auto& s : steps) s->decode(tokens);
  }
};

class ReplaceDecoder : public Decoder {
 public:
  std::string from, to;
  void decode(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) replace_all(t, from, to);
  }
};

class ByteFallbackDecoder : public Decoder {
 public:
  void decode(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    auto flush = [&] {
      if (bytes.empty()) return;
      if (utf8::valid(bytes))
        out.push_back(bytes);
      else
        for (size_t i = 0; i < bytes.size(); ++i) out.push_back("\xEF\xBF\xBD");
      bytes.clear();
    };
    for (auto& t : tokens) {
      const bool is_byte = t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' &&
                           std::isxdigit(static_cast<unsigned char>(t[3])) &&
                           std::isxdigit(static_cast<unsigned char>(t[4]));
      if (is_byte) {
        bytes += static_cast<char>(std::stoi(t.substr(3, 2), nullptr, 16));
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }
};

class FuseDecoder : public Decoder {
 public:
  void decode(std::vector<std::string>& tokens) const override {
    std::string all;
    for (auto& t : tokens) all += t;
    tokens = {all};
  }
};

class StripDecoder : public Decoder {
 public:
  std::string content;
  int64_t start = 0, stop = 0;
  void decode(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      for (int64_t i = 0; i < start && t.rfind(content, 0) == 0 && !content.empty(); ++i)
        t.erase(0, content.size());
      for (int64_t i = 0; i < stop && !content.empty() && t.size() >= content.size() &&
                          t.compare(t.size() - content.size(), content.size(), content) == 0;
           ++i)
        t.erase(t.size() - content.size());
    }
  }
};

class MetaspaceDecoder : public Decoder {
 public:
  std::string replacement = "\xE2\x96\x81";
  bool strip_first_space = true;  // prepend_scheme != never
  void decode(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      replace_all(tokens[i], replacement, " ");
      if (i == 0 && strip_first_space && !tokens[i].empty() && tokens[i][0] == ' ')
        tokens[i].erase(0, 1);
    }
  }
};

class ByteLevelDecoder : public Decoder {
 public:
  void decode(std::vector<std::string>& tokens) const override {
    static const std::unordered_map<std::string, unsigned char> to_byte = [] {
      std::unordered_map<std::string, unsigned char> m;
      for (int b = 0; b < 256; ++b)
        m[byte_to_unicode(static_cast<unsigned char>(b))] = static_cast<unsigned char>(b);
      return m;
    }();
    std::string bytes;
    for (const auto& t : tokens) {
      std::string mapped;
      bool all = true;
      for (size_t i = 0; i < t.size() && all;) {
        const size_t n = utf8::char_length(t, i);
        auto it = to_byte.find(t.substr(i, n));
        if (it == to_byte.end())
          all = false;
        else
          mapped += static_cast<char>(it->second);
        i += n;
      }
      bytes += all ? mapped : t;  // characters outside the table: the token's own bytes
    }
    tokens = {utf8::lossy(bytes)};
  }
};

// ---- post-processors ----

class TemplateProcessor : public PostProcessor {
 public:
  std::vector<int64_t> before, after;  // special ids around $A
  void process(std::vector<int64_t>& ids) const override {
    ids.insert(ids.begin(), before.begin(), before.end());
    ids.insert(ids.end(), after.begin(), after.end());
  }
};

class SequenceProcessor : public PostProcessor {
 public:
  std::vector<std::unique_ptr<PostProcessor>> steps;
  void process(std::vector<int64_t>& ids) const override {
    for (const auto& s : steps) s->process(ids);
  }
};

class NoOpProcessor : public PostProcessor {
 public:
  void process(std::vector<int64_t>&) const override {}
};

// [token, id] pairs of Bert/RobertaProcessing.
int64_t pair_id(const json& j, const char* key, const std::string& where) {
  if (!j.contains(key) || !j[key].is_array() || j[key].size() != 2 ||
      !j[key][1].is_number_integer())
    throw InputError(fmt::format("{}: '{}' must be [token, id]", where, key));
  return j[key][1].get<int64_t>();
}

}  // namespace

const std::string& byte_to_unicode(unsigned char byte) {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
      utf8::append(t[b], cp);
    }
    return t;
  }();
  return table[byte];
}

std::unique_ptr<Normalizer> make_normalizer(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  const std::string type = type_of(j, where);
  const std::string w = where + " (" + type + ")";
  if (type == "Sequence") {
    auto seq = std::make_unique<SequenceNormalizer>();
    for (const auto& item : list_field(j, "normalizers", w))
      if (auto n = make_normalizer(item, where)) seq->steps.push_back(std::move(n));
    return seq;
  }
  if (type == "Prepend") {
    auto n = std::make_unique<PrependNormalizer>();
    n->prefix = json_string(j, "prepend", "", w);
    return n;
  }
  if (type == "Replace")
    return std::make_unique<ReplaceNormalizer>(pattern_of(j, w), json_string(j, "content", "", w),
                                               w);
  if (type == "Strip") {
    auto n = std::make_unique<StripNormalizer>();
    n->left = json_bool(j, "strip_left", true, w);
    n->right = json_bool(j, "strip_right", true, w);
    return n;
  }
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    auto n = std::make_unique<UnicodeNormalizer>();
    int options = UTF8PROC_STABLE;
    options |= (type == "NFC" || type == "NFKC") ? UTF8PROC_COMPOSE : UTF8PROC_DECOMPOSE;
    if (type == "NFKC" || type == "NFKD") options |= UTF8PROC_COMPAT;
    n->options = static_cast<utf8proc_option_t>(options);
    return n;
  }
  unsupported("normalizer", type, where);
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  const std::string type = type_of(j, where);
  const std::string w = where + " (" + type + ")";
  if (type == "Sequence") {
    auto seq = std::make_unique<SequencePreTokenizer>();
    for (const auto& item : list_field(j, "pretokenizers", w))
      if (auto p = make_pre_tokenizer(item, where)) seq->steps.push_back(std::move(p));
    return seq;
  }
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPreTokenizer>(json_bool(j, "add_prefix_space", true, w),
                                                   json_bool(j, "use_regex", true, w));
  if (type == "Split")
    return std::make_unique<SplitPreTokenizer>(pattern_of(j, w), behavior_of(j, w),
                                               json_bool(j, "invert", false, w), w);
  if (type == "Digits") {
    const bool individual = json_bool(j, "individual_digits", false, w);
    return std::make_unique<SplitPreTokenizer>(
        individual ? R"(\p{N})" : R"(\p{N}+)",
        individual ? Behavior::kIsolated : Behavior::kContiguous, false, w);
  }
  if (type == "Metaspace") {
    auto m = std::make_unique<MetaspacePreTokenizer>();
    m->replacement = json_string(j, "replacement", m->replacement, w);
    if (j.contains("prepend_scheme"))
      m->prepend_scheme = json_string(j, "prepend_scheme", "always", w);
    else
      m->prepend_scheme = json_bool(j, "add_prefix_space", true, w) ? "always" : "never";
    if (m->prepend_scheme != "always" && m->prepend_scheme != "first" &&
        m->prepend_scheme != "never")
      throw InputError(fmt::format("{}: unknown prepend_scheme '{}'", w, m->prepend_scheme));
    m->split_on_replacement = json_bool(j, "split", true, w);
    m->regex = std::make_unique<Regex>(regex_escape(m->replacement), w);
    return m;
  }
  unsupported("pre-tokenizer", type, where);
}

std::unique_ptr<Decoder> make_decoder(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  const std::string type = type_of(j, where);
  const std::string w = where + " (" + type + ")";
  if (type == "Sequence") {
    auto seq = std::make_unique<SequenceDecoder>();
    for (const auto& item : list_field(j, "decoders", w))
      if (auto d = make_decoder(item, where)) seq->steps.push_back(std::move(d));
    return seq;
  }
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Replace") {
    if (!j.contains("pattern") || !j["pattern"].is_object() || !j["pattern"].contains("String"))
      unsupported("decoder", "Replace with a regex pattern", where);
    auto d = std::make_unique<ReplaceDecoder>();
    d->from = json_string(j["pattern"], "String", "", w);
    d->to = json_string(j, "content", "", w);
    return d;
  }
  if (type == "Strip") {
    auto d = std::make_unique<StripDecoder>();
    d->content = json_string(j, "content", " ", w);
    d->start = json_int(j, "start", 0, w);
    d->stop = json_int(j, "stop", 0, w);
    return d;
  }
  if (type == "Metaspace") {
    auto d = std::make_unique<MetaspaceDecoder>();
    d->replacement = json_string(j, "replacement", d->replacement, w);
    d->strip_first_space = j.contains("prepend_scheme")
                               ? json_string(j, "prepend_scheme", "always", w) != "never"
                               : json_bool(j, "add_prefix_space", true, w);
    return d;
  }
  unsupported("decoder", type, where);
}

std::unique_ptr<PostProcessor> make_post_processor(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  const std::string type = type_of(j, where);
  const std::string w = where + " (" + type + ")";
  if (type == "Sequence") {
    auto seq = std::make_unique<SequenceProcessor>();
    for (const auto& item : list_field(j, "processors", w))
      if (auto p = make_post_processor(item, where)) seq->steps.push_back(std::move(p));
    return seq;
  }
  if (type == "ByteLevel") return std::make_unique<NoOpProcessor>();  // offsets only; ids unchanged
  if (type == "TemplateProcessing") {
    auto t = std::make_unique<TemplateProcessor>();
    const json& specials = j.value("special_tokens", json::object());
    bool seen_sequence = false;
    for (const auto& item : list_field(j, "single", w)) {
      if (item.contains("Sequence")) {
        seen_sequence = true;
        continue;
      }
      const std::string name =
          item.contains("SpecialToken") ? json_string(item["SpecialToken"], "id", "", w) : "";
      if (name.empty() || !specials.is_object() || !specials.contains(name) ||
          !specials[name].contains("ids") || !specials[name]["ids"].is_array())
        throw InputError(fmt::format("{}: template names special token '{}' without ids", w, name));
      for (const auto& id : specials[name]["ids"]) {
        if (!id.is_number_integer())
          throw InputError(fmt::format("{}: special token '{}' has a bad id", w, name));
        (seen_sequence ? t->after : t->before).push_back(id.get<int64_t>());
      }
    }
    return t;
  }
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    auto t = std::make_unique<TemplateProcessor>();
    t->before = {pair_id(j, "cls", w)};
    t->after = {pair_id(j, "sep", w)};
    return t;
  }
  unsupported("post-processor", type, where);
}

}  // namespace amkd
