#include "catch_torch.h"

#include <fstream>
#include <set>

#include "common/errors.h"
#include "test_paths.h"
#include "tokenizer/tokenizer.h"
#include "train/replay_buffer.h"
#include "train/rollouts.h"

using namespace amkd;

TEST_CASE("the replay buffer keeps the newest entries and draws distinct ones", "[rollouts]") {
  ReplayBuffer buffer(3);
  for (int64_t i = 0; i < 5; ++i) buffer.add({{i}, {1}, 0});
  CHECK(buffer.size() == 3);
  std::mt19937_64 rng(1);
  std::set<int64_t> seen;
  for (int k = 0; k < 20; ++k) {
    const auto draw = buffer.draw(2, rng);
    REQUIRE(draw.size() == 2);
    CHECK(draw[0].ids != draw[1].ids);
    for (const auto& e : draw) seen.insert(e.ids[0]);
  }
  CHECK(seen == std::set<int64_t>{2, 3, 4});  // 0 and 1 left first
  CHECK_THROWS(buffer.draw(4, rng));
}

TEST_CASE("teacher cache lines follow the example's prompt, and bad lines name file and line",
          "[rollouts]") {
  const auto tokenizer = load_tokenizer((test::source_dir() / "data/tokenizers/gpt2").string());
  const auto dir = test::scratch("teacher_cache");
  const std::string path = (dir / "cache.jsonl").string();
  std::ofstream(path) << R"({"id": "a", "ids": [5, 6, 50256]})"
                      << "\n"
                      << R"({"id": "b", "response": " hi"})"
                      << "\n";
  const TeacherCache cache(path, *tokenizer);
  const EncodedExample example{{1, 2, 3, 9, 9}, {0, 0, 0, 1, 1}, 3};
  const EncodedExample a = cache.sequence("a", example, 100);
  CHECK(a.ids == std::vector<int64_t>{1, 2, 3, 5, 6, 50256});
  CHECK(a.loss_mask == std::vector<uint8_t>{0, 0, 0, 1, 1, 1});
  const EncodedExample b = cache.sequence("b", example, 4);  // cut at max_length
  CHECK(b.ids == std::vector<int64_t>{1, 2, 3, tokenizer->encode(" hi")[0]});
  CHECK_THROWS_WITH(cache.sequence("zzz", example, 100),
                    Catch::Contains("no teacher output for example 'zzz'"));

  std::ofstream(path) << R"({"id": "a", "ids": [5]})"
                      << "\n"
                      << R"({"id": "b", "ids": [-1]})"
                      << "\n";
  CHECK_THROWS_WITH(TeacherCache(path, *tokenizer), Catch::Contains("cache.jsonl:2"));
  std::ofstream(path) << "{\"ids\": [5]}\n";
  CHECK_THROWS_AS(TeacherCache(path, *tokenizer), InputError);
  // The same id twice: refused (which of the two responses is meant cannot be told).
  std::ofstream(path) << R"({"id": "a", "ids": [5]})"
                      << "\n"
                      << R"({"id": "a", "ids": [6]})"
                      << "\n";
  CHECK_THROWS_WITH(TeacherCache(path, *tokenizer),
                    Catch::Contains("cache.jsonl:2: id 'a' appears a second time"));
}
