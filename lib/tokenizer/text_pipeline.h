#pragma once
// The text stages of tokenizer.json around the model: normalizers, pre-tokenizers, decoders and
// post-processors, each built from its JSON object. A component type amkd does not implement is
// refused with an InputError naming it, never approximated.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace amkd {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};

// A piece of text on its way to the model; `at_start` marks the piece that begins the input.
struct Piece {
  std::string text;
  bool at_start = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void split(std::vector<Piece>& pieces) const = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode(std::vector<std::string>& tokens) const = 0;
};

// Adds special tokens around one encoded sequence (encode with add_special_tokens).
class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual void process(std::vector<int64_t>& ids) const = 0;
};

// Each returns nullptr for a JSON null. `token_id` resolves special-token names for
// post-processors.
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& j, const std::string& where);
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& j, const std::string& where);
std::unique_ptr<Decoder> make_decoder(const nlohmann::json& j, const std::string& where);
std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& j,
                                                   const std::string& where);

// GPT-2's byte <-> printable-character table used by ByteLevel.
const std::string& byte_to_unicode(unsigned char byte);

}  // namespace amkd
