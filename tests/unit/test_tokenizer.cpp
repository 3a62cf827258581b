#include "catch_torch.h"

#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "test_paths.h"
#include "tokenizer/regex.h"
#include "tokenizer/tokenizer.h"

using namespace amkd;
using nlohmann::json;

namespace {

// A small byte-level BPE: enough structure for every error path.
json tiny_tokenizer() {
  json vocab = json::object();
  const std::vector<std::string> tokens = {"a",
                                           "b",
                                           "c",
                                           "\xC4\xA0",
                                           "ab",
                                           "abc",
                                           "\xC4\xA0"
                                           "a"};
  for (size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = i;
  return {
      {"version", "1.0"},
      {"added_tokens",
       {{{"id", 7}, {"content", "<eos>"}, {"special", true}, {"normalized", false}}}},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", {"a b", "ab c", "\xC4\xA0 a"}}}}};
}

std::filesystem::path write_dir(const std::string& name, const std::string& tokenizer_json) {
  auto dir = test::scratch("tok_" + name);
  std::ofstream(dir / "tokenizer.json") << tokenizer_json;
  return dir;
}

std::string error_of(const std::filesystem::path& dir) {
  try {
    load_tokenizer(dir.string());
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a small tokenizer.json encodes and decodes", "[tokenizer]") {
  auto tok = load_tokenizer(write_dir("tiny", tiny_tokenizer().dump()).string());
  CHECK(tok->encode("abc a<eos>") == std::vector<int64_t>{5, 6, 7});
  CHECK(tok->decode({5, 6, 7}) == "abc a<eos>");
  CHECK(tok->decode({5, 6, 7}, true) == "abc a");
  CHECK(tok->vocab_size() == 8);
  CHECK(tok->is_special(7));
  CHECK_THROWS_AS(tok->decode({99}), InputError);
  CHECK_THROWS_WITH(tok->encode("\xFF"), Catch::Contains("not valid UTF-8"));
}

TEST_CASE("malformed tokenizer files are refused with a message", "[tokenizer]") {
  const std::string good = tiny_tokenizer().dump();
  CHECK_THAT(error_of(write_dir("truncated", good.substr(0, good.size() / 2))),
             Catch::Contains("not valid JSON"));
  json j = tiny_tokenizer();
  j["model"]["merges"].push_back("a zz");
  CHECK_THAT(error_of(write_dir("bad_merge", j.dump())),
             Catch::Contains("names 'zz', which is not in the vocab"));
  j = tiny_tokenizer();
  j["model"]["vocab"]["d"] = -3;
  CHECK_THAT(error_of(write_dir("bad_id", j.dump())),
             Catch::Contains("vocab['d'] is not a valid id: -3"));
  j = tiny_tokenizer();
  j["added_tokens"][0]["id"] = "seven";
  CHECK_THAT(error_of(write_dir("bad_added", j.dump())),
             Catch::Contains("'id' must be an integer"));
  j = tiny_tokenizer();
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  CHECK_THAT(error_of(write_dir("unknown_component", j.dump())),
             Catch::Contains("pre-tokenizer 'Whitespace' is not supported"));
  j = tiny_tokenizer();
  j["model"]["type"] = "WordPiece";
  CHECK_THAT(error_of(write_dir("wordpiece", j.dump())),
             Catch::Contains("model type 'WordPiece' is not supported"));
  j = tiny_tokenizer();
  j["pre_tokenizer"] = {
      {"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  CHECK_THAT(error_of(write_dir("bad_regex", j.dump())), Catch::Contains("does not compile"));
  CHECK_THAT(error_of(test::scratch("tok_none")),
             Catch::Contains("no tokenizer.json or tokenizer.model"));
  auto sp = test::scratch("tok_bad_sp");
  std::ofstream(sp / "tokenizer.model") << "this is not a protobuf";
  CHECK_THAT(error_of(sp), Catch::Contains("not a usable sentencepiece model"));
}

TEST_CASE("tokenizer.json loading never crashes, whatever the bytes", "[tokenizer][fuzz]") {
  const std::string seed = tiny_tokenizer().dump();
  std::mt19937 rng(11);
  const auto dir = test::scratch("tok_fuzz");
  int refused = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string text = seed;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k)
      text[rng() % text.size()] = static_cast<char>(rng() % 128);
    std::ofstream(dir / "tokenizer.json", std::ios::trunc) << text;
    try {
      auto tok = load_tokenizer(dir.string());
      tok->decode(tok->encode("abc ab a b <eos> xyz"));
    } catch (const InputError&) {
      ++refused;
    }
  }
  CHECK(refused > 500);
}

TEST_CASE("a split pattern that exhausts PCRE2's limits is refused, not read as no match",
          "[tokenizer]") {
  // Nested quantifiers backtrack exponentially on a subject that finally fails to match.
  const Regex catastrophic("(\\w+)+$", "test pattern");
  const std::string text = std::string(40, 'a') + "!";
  CHECK_THROWS_AS(catastrophic.find_all(text), InputError);
  CHECK_THROWS_WITH(catastrophic.find_all(text), Catch::Contains("failed on a text of 41 bytes"));
  CHECK(Regex("\\w+", "test pattern").find_all(text) ==
        std::vector<std::pair<size_t, size_t>>{{0, 40}});
}
