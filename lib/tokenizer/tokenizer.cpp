#include "tokenizer/tokenizer.h"

#include <filesystem>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/json_io.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/sp_tokenizer.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace amkd {
namespace {

// "bos_token": "<s>" or {"content": "<s>", ...} or null.
std::optional<int64_t> special_id(const Tokenizer& tok, const json& config, const char* key,
                                  const std::string& where) {
  if (!config.contains(key) || config[key].is_null()) return std::nullopt;
  const json& v = config[key];
  std::string content;
  if (v.is_string())
    content = v.get<std::string>();
  else if (v.is_object())
    content = json_string(v, "content", "", where + ": " + key);
  else
    throw InputError(
        fmt::format("{}: '{}' must be a token string or {{\"content\": ...}}", where, key));
  auto id = tok.id_of(content);
  if (!id)
    throw InputError(fmt::format("{}: {} '{}' is not in the vocabulary", where, key, content));
  return id;
}

}  // namespace

namespace {

std::unique_ptr<Tokenizer> load_tokenizer_files(const std::string& dir) {
  const fs::path json_path = fs::path(dir) / "tokenizer.json";
  const fs::path sp_path = fs::path(dir) / "tokenizer.model";
  const fs::path config_path = fs::path(dir) / "tokenizer_config.json";
  const json config = fs::exists(config_path) ? read_json_file(config_path) : json::object();
  const std::string config_where = config_path.string();
  if (!config.is_object()) throw InputError(fmt::format("{}: not a JSON object", config_where));

  if (fs::exists(json_path)) {  // preferred when both exist, as transformers does
    std::unique_ptr<HfTokenizer> tok;
    try {
      tok = std::make_unique<HfTokenizer>(read_json_file(json_path), json_path.string());
    } catch (const json::exception& e) {  // a structure the checks above did not anticipate
      throw InputError(fmt::format("{}: unexpected structure: {}", json_path.string(), e.what()));
    }
    SpecialTokens s;
    s.bos = special_id(*tok, config, "bos_token", config_where);
    s.eos = special_id(*tok, config, "eos_token", config_where);
    s.pad = special_id(*tok, config, "pad_token", config_where);
    s.unk = special_id(*tok, config, "unk_token", config_where);
    tok->set_special(s);
    if (config.contains("add_bos_token") || config.contains("add_eos_token")) {
      const bool bos = json_bool(config, "add_bos_token", false, config_where);
      const bool eos = json_bool(config, "add_eos_token", false, config_where);
      if (bos && !s.bos)
        throw InputError(
            fmt::format("{}: add_bos_token is true but there is no bos_token", config_where));
      if (eos && !s.eos)
        throw InputError(
            fmt::format("{}: add_eos_token is true but there is no eos_token", config_where));
      tok->set_special_wrapping(bos ? s.bos : std::nullopt, eos ? s.eos : std::nullopt);
    }
    return tok;
  }

  if (fs::exists(sp_path)) {
    auto tok = std::make_unique<SpTokenizer>(sp_path.string());
    if (config.contains("added_tokens_decoder")) {
      const json& added = config["added_tokens_decoder"];
      if (!added.is_object())
        throw InputError(fmt::format("{}: 'added_tokens_decoder' must be an object", config_where));
      for (auto it = added.begin(); it != added.end(); ++it) {
        const std::string where =
            fmt::format("{}: added_tokens_decoder['{}']", config_where, it.key());
        AddedToken t;
        try {
          t.id = std::stoll(it.key());
        } catch (const std::exception&) {
          throw InputError(fmt::format("{}: the key is not a token id", where));
        }
        if (t.id < 0 || t.id > (1 << 30))
          throw InputError(fmt::format("{}: id out of range", where));
        t.content = json_string(it.value(), "content", "", where);
        t.special = json_bool(it.value(), "special", false, where);
        t.lstrip = json_bool(it.value(), "lstrip", false, where);
        t.rstrip = json_bool(it.value(), "rstrip", false, where);
        t.single_word = json_bool(it.value(), "single_word", false, where);
        tok->add_token(t);
      }
    }
    SpecialTokens s = tok->special();
    for (auto [key, slot] : {std::pair{"bos_token", &s.bos},
                             {"eos_token", &s.eos},
                             {"pad_token", &s.pad},
                             {"unk_token", &s.unk}})
      if (auto id = special_id(*tok, config, key, config_where)) *slot = id;
    // transformers' defaults: Llama-style tokenizers add BOS, T5 adds EOS.
    const bool t5 = json_string(config, "tokenizer_class", "", config_where) == "T5Tokenizer";
    tok->set_special(s, json_bool(config, "add_bos_token", !t5, config_where),
                     json_bool(config, "add_eos_token", t5, config_where));
    return tok;
  }
  throw InputError(
      fmt::format("{}: no tokenizer.json or tokenizer.model{}", dir,
                  fs::exists(fs::path(dir) / "vocab.json")
                      ? " (vocab.json + merges.txt alone are not read: save the tokenizer with a "
                        "current transformers to get tokenizer.json)"
                      : ""));
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& dir) {
  std::unique_ptr<Tokenizer> tokenizer = load_tokenizer_files(dir);
  tokenizer->set_directory(dir);
  return tokenizer;
}

}  // namespace amkd
