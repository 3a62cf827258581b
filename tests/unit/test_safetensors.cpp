#include "catch_torch.h"

#include <cstring>
#include <fstream>
#include <random>

#include "common/errors.h"
#include "model/safetensors.h"
#include "test_paths.h"

using namespace amkd;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A file with the given JSON header and `data_bytes` zero bytes of data.
std::string make_file(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + std::string(data_bytes, '\0');
}

std::string error_of(const std::string& path) {
  try {
    SafetensorsFile f(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("safetensors round trip keeps names, dtypes, shapes and values", "[safetensors]") {
  auto dir = test::scratch("safetensors_roundtrip");
  const std::string path = (dir / "t.safetensors").string();
  torch::manual_seed(0);
  std::vector<std::pair<std::string, torch::Tensor>> tensors = {
      {"a.weight", torch::randn({3, 5})},
      {"b", torch::randn({7}).to(torch::kBFloat16)},
      {"c", torch::randn({2, 2, 2}).to(torch::kFloat16)},
      {"empty", torch::zeros({0, 4})},
  };
  write_safetensors(path, tensors);
  SafetensorsFile f(path);
  REQUIRE(f.entries().size() == 4);
  CHECK(f.metadata().at("format") == "pt");
  for (const auto& [name, t] : tensors) {
    const auto* e = f.find(name);
    REQUIRE(e != nullptr);
    torch::Tensor back = f.load(*e);
    CHECK(back.scalar_type() == t.scalar_type());
    CHECK(back.sizes() == t.sizes());
    CHECK(torch::equal(back, t));
  }
  // The data section starts 8-byte aligned, as the format recommends.
  uint64_t header_len = 0;
  std::memcpy(&header_len, slurp(path).data(), 8);
  CHECK(header_len % 8 == 0);
}

TEST_CASE("safetensors reader refuses malformed files with a message", "[safetensors]") {
  auto dir = test::scratch("safetensors_bad");
  const std::string p = (dir / "bad.safetensors").string();

  SECTION("truncated below the length field") {
    spit(p, "abc");
    CHECK_THAT(error_of(p), Catch::Contains("truncated"));
  }
  SECTION("header length larger than the file") {
    std::string f = make_file("{}", 0);
    uint64_t huge = 1000;
    std::memcpy(f.data(), &huge, 8);
    spit(p, f);
    CHECK_THAT(error_of(p), Catch::Contains("larger than the file"));
  }
  SECTION("header is not JSON") {
    spit(p, make_file("{not json", 0));
    CHECK_THAT(error_of(p), Catch::Contains("not valid JSON"));
  }
  SECTION("overlapping offsets") {
    spit(p, make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                      12));
    CHECK_THAT(error_of(p), Catch::Contains("overlap"));
  }
  SECTION("offsets past the end of the data") {
    spit(p, make_file(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8));
    CHECK_THAT(error_of(p), Catch::Contains("reach past the data section"));
  }
  SECTION("unknown dtype") {
    spit(p, make_file(R"({"a":{"dtype":"F13","shape":[1],"data_offsets":[0,4]}})", 4));
    CHECK_THAT(error_of(p), Catch::Contains("unknown dtype 'F13'"));
  }
  SECTION("shape disagrees with byte size") {
    spit(p, make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8));
    CHECK_THAT(error_of(p), Catch::Contains("needs 12 bytes but data_offsets span 8"));
  }
  SECTION("negative and overflowing shapes") {
    spit(p, make_file(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4));
    CHECK_THAT(error_of(p), Catch::Contains("not a non-negative integer"));
    spit(p, make_file(
                R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}})",
                4));
    CHECK_THAT(error_of(p), Catch::Contains("overflow"));
  }
  SECTION("missing file") {
    CHECK_THAT(error_of((dir / "nope.safetensors").string()), Catch::Contains("cannot open"));
  }
}

TEST_CASE("safetensors reader survives random corruption of a valid file", "[safetensors]") {
  auto dir = test::scratch("safetensors_fuzz");
  const std::string good = (dir / "good.safetensors").string();
  write_safetensors(good,
                    {{"w", torch::randn({4, 4})}, {"b", torch::randn({4}).to(torch::kBFloat16)}});
  const std::string original = slurp(good);
  const std::string p = (dir / "mutant.safetensors").string();
  std::mt19937 rng(1234);
  int refused = 0, accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = original;
    const int kind = i % 3;
    if (kind == 0) {  // flip a few bytes, mostly in the header
      for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k)
        bytes[rng() % std::min<size_t>(bytes.size(), 200)] = static_cast<char>(rng());
    } else if (kind == 1) {  // truncate
      bytes.resize(rng() % bytes.size());
    } else {  // splice a random digit run into the header
      const size_t at = 8 + rng() % 120;
      bytes.insert(at, std::to_string(rng()));
    }
    spit(p, bytes);
    try {
      SafetensorsFile f(p);
      for (const auto& e : f.entries()) f.load(e);  // whatever was accepted must be readable
      ++accepted;
    } catch (const InputError&) {
      ++refused;
    }
  }
  CHECK(refused > 1000);
  CHECK(refused + accepted == 3000);
}
