#include "catch_torch.h"

#include <cstring>
#include <fstream>
#include <random>

#include "common/errors.h"
#include "model/gguf_file.h"
#include "model/gguf_import.h"
#include "model/safetensors.h"
#include "test_paths.h"
#include "tokenizer/gguf_vocab.h"

using namespace amkd;
using nlohmann::json;

namespace {

std::string fixture() {
  return (test::work_dir() / "gguf_reference" / "quants.gguf").string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Reads `path` fully: "" when it parses and every tensor dequantises, the InputError otherwise.
// Any other exception or a crash fails the test.
std::string read_all(const std::string& path) {
  try {
    GgufFile f(path);
    for (const auto& t : f.tensors()) {
      torch::Tensor x = f.load_f32(t);
      REQUIRE(x.numel() == t.elements());
    }
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("GGUF tensors dequantise as the gguf package does", "[gguf]") {
  GgufFile f(fixture());
  SafetensorsFile expected(
      (test::work_dir() / "gguf_reference" / "quants_expected.safetensors").string());
  REQUIRE(f.version() == 3);
  REQUIRE(f.tensors().size() == expected.entries().size());
  for (const auto& t : f.tensors()) {
    INFO(t.name << " " << ggml_type_name(t.type));
    const SafetensorsEntry* e = expected.find(t.name);
    REQUIRE(e != nullptr);
    REQUIRE(t.name == "t." + ggml_type_name(t.type));
    torch::Tensor want = expected.load(*e);
    torch::Tensor got = f.load_f32(t);
    REQUIRE(got.sizes() == want.sizes());
    CHECK(torch::allclose(got, want, 1e-6, 1e-7));
  }
}

TEST_CASE("GGUF metadata values keep their types and values", "[gguf]") {
  GgufFile f(fixture());
  const json& m = f.metadata();
  CHECK(m["general.architecture"] == "llama");
  CHECK(m["test.u8"] == 200);
  CHECK(m["test.i8"] == -100);
  CHECK(m["test.u16"] == 60000);
  CHECK(m["test.i16"] == -30000);
  CHECK(m["test.u32"] == 4000000000u);
  CHECK(m["test.i32"] == -2000000000);
  CHECK(m["test.f32"].get<double>() == 0.25);
  CHECK(m["test.u64"].get<uint64_t>() == (uint64_t{1} << 63) + 5);
  CHECK(m["test.i64"].get<int64_t>() == -(int64_t{1} << 62));
  CHECK(m["test.f64"].get<double>() == -1.5e300);
  CHECK(m["test.bool"] == true);
  CHECK(m["test.string"] == "na\xc3\xafve \xe2\x9c\x93");
  CHECK(m["test.strings"] == json::array({"a", "", "b c"}));
  CHECK(m["test.ints"] == json::array({1, -2, 3}));
}

TEST_CASE("malformed GGUF files give InputErrors naming the file, never a crash", "[gguf]") {
  const std::string good = slurp(fixture());
  const std::string path = (test::scratch("gguf_bad") / "bad.gguf").string();
  auto error_for = [&](const std::string& bytes) {
    spit(path, bytes);
    return read_all(path);
  };

  CHECK_THAT(error_for("GGML" + good.substr(4)), Catch::Contains("not a GGUF file"));
  std::string v1 = good;
  v1[4] = 1;
  CHECK_THAT(error_for(v1), Catch::Contains("version 1 is not supported"));
  CHECK_THAT(error_for(good.substr(0, good.size() - 33)),  // past the end padding
             Catch::Contains("reaches past the data section"));

  // An unsupported storage type: rewrite the first tensor's type id (Q4_0 = 2) to IQ2_XXS (16).
  const size_t name_at = good.find("t.Q4_0");
  REQUIRE(name_at != std::string::npos);
  std::string iq = good;
  const size_t type_at = name_at + 6 + 4 + 2 * 8;  // name, n_dims, two dims
  REQUIRE(iq[type_at] == 2);
  iq[type_at] = 16;
  CHECK_THAT(error_for(iq), Catch::Contains("storage type type 16 is not one"));

  // An array too long to be real is refused before anything is allocated for it.
  const size_t ints_at = good.find("test.ints");
  REQUIRE(ints_at != std::string::npos);
  std::string huge = good;
  const uint64_t count = uint64_t{1} << 25;
  std::memcpy(&huge[ints_at + 9 + 4 + 4], &count, 8);  // key, value type, element type
  CHECK_THAT(error_for(huge), Catch::Contains("array of 33554432 elements (at most"));

  // Every truncation of the header and tensor table, and random byte corruptions anywhere in
  // them, end in an InputError that names the file, or in a file that reads completely.
  const size_t header_end = good.find("t.BF16") + 40;
  for (size_t n = 0; n < header_end; ++n) {
    const std::string e = error_for(good.substr(0, n));
    INFO("truncated to " << n);
    CHECK_THAT(e, Catch::Contains(path));
  }
  std::mt19937 rng(11);
  int rejected = 0;
  for (int trial = 0; trial < 600; ++trial) {
    std::string bytes = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) bytes[rng() % header_end] = static_cast<char>(rng() % 256);
    const std::string e = error_for(bytes);
    if (!e.empty()) {
      ++rejected;
      CHECK_THAT(e, Catch::Contains(path));
    }
  }
  CHECK(rejected > 100);
}

TEST_CASE("GGUF tokenizer metadata that amkd cannot rebuild is refused with the key", "[gguf]") {
  json m = {{"tokenizer.ggml.model", "gpt2"},
            {"tokenizer.ggml.tokens", {"a", "b", "ab", "<s>"}},
            {"tokenizer.ggml.merges", {"a b"}},
            {"tokenizer.ggml.token_type", {1, 1, 1, 3}},
            {"tokenizer.ggml.eos_token_id", 3}};
  auto files = tokenizer_files_from_gguf(m, "x.gguf");
  const json tok = json::parse(files.at("tokenizer.json"));
  CHECK(tok["model"]["vocab"]["ab"] == 2);
  CHECK(tok["model"]["merges"] == json::array({json::array({"a", "b"})}));
  REQUIRE(tok["added_tokens"].size() == 1);
  CHECK(tok["added_tokens"][0]["content"] == "<s>");
  CHECK(json::parse(files.at("tokenizer_config.json"))["eos_token"] == "<s>");

  auto refused = [](json bad, const std::string& text) {
    try {
      tokenizer_files_from_gguf(bad, "x.gguf");
    } catch (const InputError& e) {
      CHECK_THAT(e.what(), Catch::Contains("x.gguf") && Catch::Contains(text));
      return;
    }
    FAIL("accepted: " << bad.dump());
  };
  json llama = m;
  llama["tokenizer.ggml.model"] = "llama";
  refused(llama, "tokenizer.ggml.model 'llama' is not supported");
  json eos = m;
  eos["tokenizer.ggml.eos_token_id"] = 9;
  refused(eos, "tokenizer.ggml.eos_token_id");
  json merges = m;
  merges["tokenizer.ggml.merges"] = {"abc"};
  refused(merges, "entry 'abc' is not two tokens");
  json types = m;
  types["tokenizer.ggml.token_type"] = {1};
  refused(types, "tokenizer.ggml.token_type");
  json utf8 = m;
  utf8["tokenizer.ggml.token_type"] = {1, 1, 1, 1};
  utf8["tokenizer.chat_template"] = std::string("\xff\xfe");
  refused(utf8, "not valid UTF-8");
  json bos = m;
  bos["tokenizer.ggml.add_bos_token"] = true;
  refused(bos, "add_bos_token");
}

TEST_CASE("a GGUF file without llama metadata is not converted", "[gguf]") {
  try {
    import_gguf(fixture());
    FAIL("converted a file without a tokenizer or llama.* keys");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains(fixture()));
  }
}
