#include "catch_torch.h"

#include <fstream>

#include "common/errors.h"
#include "data/instruction_data.h"
#include "test_paths.h"

using namespace amkd;

namespace {

std::string write_lines(const std::string& name, const std::string& text) {
  auto path = test::scratch("data_" + name) / "data.jsonl";
  std::ofstream(path) << text;
  return path.string();
}

}  // namespace

TEST_CASE("every instruction format is read, detected from its keys", "[data]") {
  const auto path = write_lines(
      "formats",
      R"({"instruction": "I1", "context": "C1", "response": "R1"})"
      "\n"
      R"({"instruction": "I2", "input": "", "output": "O2"})"
      "\n"
      R"({"instruction": "I3", "input": "X3", "output": ["A", "B"], "prompt": "P3"})"
      "\n\n"
      R"({"prompt": "P4", "response": "R4", "id": 7})"
      "\n"
      R"({"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U5"}, {"role": "assistant", "content": "A5"}]})"
      "\n");
  const auto data = load_instruction_data(path);
  REQUIRE(data.examples.size() == 5);
  const auto& e = data.examples;
  CHECK((e[0].instruction == "I1" && e[0].input == "C1" && e[0].response == "R1"));
  CHECK((e[1].instruction == "I2" && e[1].input.empty() && e[1].response == "O2"));
  CHECK(e[2].references == std::vector<std::string>{"A", "B"});
  CHECK(e[2].response == "A");
  CHECK((e[3].prompt == "P4" && e[3].response == "R4" && e[3].id == "7"));
  CHECK((e[4].instruction == "U5" && e[4].response == "A5"));
  CHECK(e[0].id == path + ":1");
  // An unsigned 64-bit id keeps its digits (it once became "-1").
  const auto big =
      write_lines("big_id", R"({"prompt": "P", "response": "R", "id": 18446744073709551615})"
                            "\n");
  CHECK(load_instruction_data(big).examples[0].id == "18446744073709551615");
}

TEST_CASE("bad lines name file and line, or are skipped and counted", "[data]") {
  const auto path = write_lines("bad",
                                "{\"instruction\": \"ok\", \"output\": \"fine\"}\n"
                                "not json\n"
                                "{\"instruction\": \"x\", \"output\": \"\"}\n"
                                "{\"instruction\": 5, \"output\": \"y\"}\n");
  CHECK_THROWS_WITH(load_instruction_data(path), Catch::Contains(path + ":2: not valid JSON"));
  const auto skipped = load_instruction_data(path, {DataFormat::kAuto, true, true});
  CHECK(skipped.examples.size() == 1);
  CHECK(skipped.skipped == 3);
  CHECK_THAT(skipped.first_skip_reason, Catch::Contains(":2:"));
  // An empty response is bad for training, fine for generation prompts.
  const auto prompts = load_instruction_data(path, {DataFormat::kAuto, true, false});
  CHECK(prompts.examples.size() == 2);
  CHECK_THROWS_WITH(load_instruction_data(path, {DataFormat::kPromptResponse, false, true}),
                    Catch::Contains(":1: missing field \"prompt\""));
}

TEST_CASE("the bundled sets load with the counts of their provenance", "[data]") {
  const std::vector<std::pair<std::string, size_t>> sets = {
      {"minillm_dolly_eval_500.jsonl", 500},
      {"minillm_selfinst_eval_242.jsonl", 242},
      {"minillm_vicuna_eval_80.jsonl", 80},
      {"minillm_sinst_11plus_eval_1694.jsonl", 1694},
      {"uinst_eval_1050.jsonl", 1050}};
  for (const auto& [name, count] : sets) {
    INFO(name);
    const auto data = load_instruction_data((test::source_dir() / "data/eval" / name).string());
    CHECK(data.examples.size() == count);
    CHECK(data.skipped == 0);
  }
}
