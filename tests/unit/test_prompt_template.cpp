#include "catch_torch.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "model/logit_mask.h"
#include "test_paths.h"
#include "tokenizer/prompt_template.h"

using namespace amkd;

TEST_CASE("the dolly template reproduces MiniLLM's prompts of the bundled sets", "[template]") {
  const PromptTemplate dolly("dolly", "test");
  for (const char* set : {"minillm_dolly_eval_500.jsonl", "minillm_selfinst_eval_242.jsonl",
                          "minillm_vicuna_eval_80.jsonl", "uinst_eval_1050.jsonl"}) {
    std::ifstream in(test::source_dir() / "data/eval" / set);
    int n = 0, same = 0;
    for (std::string line; std::getline(in, line); ++n) {
      const auto row = nlohmann::json::parse(line);
      same += dolly.render(row["instruction"].get<std::string>(),
                           row.value("input", std::string())) == row["prompt"].get<std::string>();
    }
    INFO(set);
    CHECK(n > 0);
    CHECK(same == n);
  }
}

TEST_CASE("built-in and custom templates render, bad ones are refused", "[template]") {
  CHECK(PromptTemplate("chatml", "t").render("Hi", "") ==
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  CHECK(PromptTemplate("llama2", "t").render("Hi", "ctx") == "[INST] Hi\n\nctx [/INST]");
  CHECK(PromptTemplate("plain", "t").render("Hi", "") == "Hi\n");
  const PromptTemplate custom("Q: {instruction}\nC: {input}\nA:", "t");
  CHECK(custom.name() == "custom");
  CHECK(custom.render("why?", "sky") == "Q: why?\nC: sky\nA:");
  CHECK_THROWS_WITH(PromptTemplate("alpaca", "data.template"),
                    Catch::Contains("neither a built-in template"));
  CHECK_THROWS_WITH(PromptTemplate("{instruction} {context}", "data.template"),
                    Catch::Contains("{context} is unknown"));
}

TEST_CASE("padded logits get -inf and no probability", "[template][logits]") {
  torch::Tensor logits = torch::randn({2, 3, 10});
  torch::Tensor masked = mask_padded_logits(logits, 7);
  torch::Tensor p = torch::softmax(masked, -1);
  CHECK(p.narrow(-1, 7, 3).abs().max().item<float>() == 0.0f);
  CHECK(torch::allclose(p.sum(-1), torch::ones({2, 3})));
  CHECK(torch::equal(masked.narrow(-1, 0, 7), logits.narrow(-1, 0, 7)));
  CHECK(mask_padded_logits(logits, 10).data_ptr() == logits.data_ptr());
}
