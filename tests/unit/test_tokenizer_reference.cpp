#include "catch_torch.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "test_paths.h"
#include "tokenizer/tokenizer.h"

using namespace amkd;
using nlohmann::json;

namespace {

struct Row {
  std::string text, decoded;
  std::vector<int64_t> ids, ids_special;
  bool roundtrip = false;
};

std::vector<Row> read_reference(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<Row> rows;
  for (std::string line; std::getline(in, line);) {
    const json j = json::parse(line);
    rows.push_back({j["text"], j["decoded"], j["ids"], j["ids_special"], j["roundtrip"]});
  }
  return rows;
}

std::string show(const std::vector<int64_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size() && i < 24; ++i) s += std::to_string(ids[i]) + " ";
  return s + (ids.size() > 24 ? "..." : "");
}

}  // namespace

// Ids from Hugging Face's `tokenizers` (tokenizer.json) and `sentencepiece` (tokenizer.model) for
// 15000 lines: instruction sets, edge cases, special-token strings
// (scripts/make_tokenizer_reference.py).
TEST_CASE("tokenizers give Hugging Face's ids on every reference line", "[tokenizer][reference]") {
  const auto root = test::work_dir() / "tokenizer_reference";
  for (const std::string name : {"gpt2", "mistral_json", "mistral_sp", "bpe_trained", "bpe_nfc",
                                 "sp_bpe_trained", "sp_unigram_trained"}) {
    INFO("tokenizer " << name);
    const auto rows = read_reference(root / name / "reference.jsonl");
    REQUIRE(rows.size() >= 5000);
    const auto tok = load_tokenizer((root / name).string());
    int bad_ids = 0, bad_special = 0, bad_decode = 0, bad_roundtrip = 0;
    std::string examples;
    for (const Row& r : rows) {
      const auto ids = tok->encode(r.text, false);
      const auto ids_special = tok->encode(r.text, true);
      const std::string decoded = tok->decode(r.ids);
      if (ids != r.ids && ++bad_ids <= 3)
        examples += "\n  text " + json(r.text).dump().substr(0, 80) + "\n    want " + show(r.ids) +
                    "\n    got  " + show(ids);
      bad_special += ids_special != r.ids_special;
      if (decoded != r.decoded && ++bad_decode <= 3)
        examples += "\n  decode " + json(r.text).dump().substr(0, 80) + " -> " +
                    json(decoded).dump().substr(0, 80);
      bad_roundtrip += r.roundtrip && tok->decode(ids) != r.text;
    }
    INFO(rows.size() << " lines" << examples);
    CHECK(bad_ids == 0);
    CHECK(bad_special == 0);
    CHECK(bad_decode == 0);
    CHECK(bad_roundtrip == 0);
  }
}
