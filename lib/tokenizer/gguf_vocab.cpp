#include "tokenizer/gguf_vocab.h"

#include <set>

#include <fmt/format.h>

#include "common/errors.h"
#include "tokenizer/text_pipeline.h"
#include "tokenizer/utf8.h"

namespace amkd {
namespace {

using nlohmann::json;

// llama.cpp token types (llama_token_type).
constexpr int64_t kControl = 3, kUserDefined = 4;

constexpr const char* kLlama3Split =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3})"
    R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kQwen2Split = R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N})"
                                    R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// tokenizer.ggml.pre values whose merges were learned on another split than GPT-2's (the ones
// transformers maps for these two regexes); any other value keeps GPT-2's ByteLevel split.
const char* split_for(const std::string& pre) {
  static const std::set<std::string> llama3 = {"llama3",    "llama-v3", "llama-bpe", "falcon3",
                                               "falcon-h1", "pixtral",  "midm-2.0",  "lfm2",
                                               "dbrx",      "smaug-bpe"};
  static const std::set<std::string> qwen2 = {"qwen2", "deepseek-r1-qwen", "megrez"};
  if (llama3.count(pre)) return kLlama3Split;
  if (qwen2.count(pre)) return kQwen2Split;
  return nullptr;
}

class Metadata {
 public:
  Metadata(const json& m, const std::string& source) : m_(m), source_(source) {}

  const json* find(const std::string& key) const {
    auto it = m_.find(key);
    return it == m_.end() ? nullptr : &*it;
  }
  std::string string(const std::string& key, const std::string& fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_string()) throw bad(key, "is not a string");
    return v->get<std::string>();
  }
  std::optional<int64_t> id(const std::string& key, size_t vocab) const {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number_integer() || v->get<int64_t>() < 0 ||
        static_cast<size_t>(v->get<int64_t>()) >= vocab)
      throw bad(key,
                fmt::format("{} is not a token id below the vocabulary size {}", v->dump(), vocab));
    return v->get<int64_t>();
  }
  bool flag(const std::string& key, bool fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) throw bad(key, "is not a bool");
    return v->get<bool>();
  }
  const json& array_of_strings(const std::string& key) const {
    const json* v = find(key);
    if (v == nullptr) throw bad(key, "is missing");
    if (!v->is_array()) throw bad(key, "is not an array");
    for (const auto& e : *v)
      if (!e.is_string()) throw bad(key, "holds a value that is not a string");
    return *v;
  }
  InputError bad(const std::string& key, const std::string& what) const {
    return InputError(fmt::format("{}: GGUF metadata '{}' {}", source_, key, what));
  }

 private:
  const json& m_;
  const std::string& source_;
};

// A token in GPT-2's byte alphabet stays as it is; any other is respelled byte by byte, as
// transformers does for the few GGUF vocabularies that store raw text.
std::string byte_level_spelling(const std::string& token) {
  static const std::set<std::string> alphabet = [] {
    std::set<std::string> s;
    for (int b = 0; b < 256; ++b) s.insert(byte_to_unicode(static_cast<unsigned char>(b)));
    return s;
  }();
  bool in_alphabet = utf8::valid(token);
  for (size_t i = 0; in_alphabet && i < token.size();) {
    const size_t n = utf8::char_length(token, i);
    in_alphabet = alphabet.count(token.substr(i, n)) > 0;
    i += n;
  }
  if (in_alphabet) return token;
  std::string out;
  for (unsigned char c : token) out += byte_to_unicode(c);
  return out;
}

bool in_byte_alphabet(const std::string& token) {
  return byte_level_spelling(token) == token;
}

}  // namespace

std::map<std::string, std::string> tokenizer_files_from_gguf(const json& metadata,
                                                             const std::string& source) {
  const Metadata m(metadata, source);
  const std::string model = m.string("tokenizer.ggml.model", "");
  if (model != "gpt2")
    throw InputError(fmt::format(
        "{}: tokenizer.ggml.model '{}' is not supported: amkd rebuilds byte-level BPE ('gpt2') "
        "tokenizers from GGUF; convert the original Hugging Face checkpoint instead",
        source, model));
  const json& tokens = m.array_of_strings("tokenizer.ggml.tokens");
  const json& merges = m.array_of_strings("tokenizer.ggml.merges");
  if (tokens.empty()) throw m.bad("tokenizer.ggml.tokens", "is empty");
  std::vector<int64_t> types(tokens.size(), 1);
  if (const json* t = m.find("tokenizer.ggml.token_type")) {
    if (!t->is_array() || t->size() != tokens.size())
      throw m.bad("tokenizer.ggml.token_type", "is not an array as long as tokenizer.ggml.tokens");
    for (size_t i = 0; i < t->size(); ++i) {
      if (!(*t)[i].is_number_integer())
        throw m.bad("tokenizer.ggml.token_type", "holds a non-integer");
      types[i] = (*t)[i].get<int64_t>();
    }
  }

  json vocab = json::object();
  for (size_t i = 0; i < tokens.size(); ++i)
    vocab[byte_level_spelling(tokens[i].get<std::string>())] = i;
  json merge_list = json::array();
  for (const auto& merge : merges) {
    const std::string& s = merge.get_ref<const std::string&>();
    const size_t space = s.find(' ');
    if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
      throw m.bad("tokenizer.ggml.merges", fmt::format("entry '{}' is not two tokens", s));
    merge_list.push_back(json::array({s.substr(0, space), s.substr(space + 1)}));
  }

  json added = json::array();
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& content = tokens[i].get_ref<const std::string&>();
    // Control tokens outside the byte alphabet are llama.cpp mislabels; transformers skips them.
    const bool control = types[i] == kControl && in_byte_alphabet(content);
    if (!control && types[i] != kUserDefined) continue;
    added.push_back({{"id", i},
                     {"content", content},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", control}});
  }

  json byte_level = {{"type", "ByteLevel"},
                     {"add_prefix_space", false},
                     {"trim_offsets", true},
                     {"use_regex", true}};
  json pre_tokenizer = byte_level;
  if (const char* split = split_for(m.string("tokenizer.ggml.pre", ""))) {
    json plain = byte_level;
    plain["use_regex"] = false;
    pre_tokenizer = {{"type", "Sequence"},
                     {"pretokenizers",
                      {{{"type", "Split"},
                        {"pattern", {{"Regex", split}}},
                        {"behavior", "Isolated"},
                        {"invert", false}},
                       plain}}};
  }
  json decoder = byte_level;
  decoder["add_prefix_space"] = true;
  const json tokenizer = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer", pre_tokenizer},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {{{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
        {"pair",
         {{{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
          {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
        {"special_tokens", json::object()}}},
      {"decoder", decoder},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", ""},
        {"end_of_word_suffix", ""},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merge_list}}},
  };

  json config = {{"tokenizer_class", "PreTrainedTokenizerFast"},
                 {"add_bos_token", m.flag("tokenizer.ggml.add_bos_token", false)},
                 {"add_eos_token", m.flag("tokenizer.ggml.add_eos_token", false)},
                 {"clean_up_tokenization_spaces", false}};
  for (auto [key, name] : {std::pair{"tokenizer.ggml.bos_token_id", "bos_token"},
                           {"tokenizer.ggml.eos_token_id", "eos_token"},
                           {"tokenizer.ggml.unknown_token_id", "unk_token"},
                           {"tokenizer.ggml.padding_token_id", "pad_token"}}) {
    if (auto id = m.id(key, tokens.size())) config[name] = tokens[*id];
  }
  if (config.value("add_bos_token", false) && !config.contains("bos_token"))
    throw m.bad("tokenizer.ggml.add_bos_token", "is true but there is no bos_token_id");
  if (config.value("add_eos_token", false) && !config.contains("eos_token"))
    throw m.bad("tokenizer.ggml.add_eos_token", "is true but there is no eos_token_id");
  const std::string chat_template = m.string("tokenizer.chat_template", "");
  if (!chat_template.empty()) config["chat_template"] = chat_template;

  try {
    return {{"tokenizer.json", tokenizer.dump(2) + "\n"},
            {"tokenizer_config.json", config.dump(2) + "\n"}};
  } catch (const json::exception&) {
    throw InputError(fmt::format(
        "{}: the tokenizer metadata holds text that is not valid UTF-8 (a token, a special token "
        "or the chat template)",
        source));
  }
}

}  // namespace amkd
