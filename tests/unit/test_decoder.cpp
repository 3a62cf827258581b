#include "catch_torch.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "model/checkpoint.h"
#include "model/decoder.h"
#include "test_paths.h"

using namespace amkd;
using nlohmann::json;

namespace {

CausalLM random_model(const json& config, uint64_t seed = 0) {
  CausalLM model(parse_model_config(config, "test config"), torch::kFloat32);
  torch::manual_seed(seed);
  torch::NoGradGuard no_grad;
  for (auto& p : model->parameters()) p.normal_(0.0, 0.2);
  model->eval();
  return model;
}

const json kLlama = {{"model_type", "llama"},
                     {"vocab_size", 97},
                     {"hidden_size", 48},
                     {"intermediate_size", 80},
                     {"num_hidden_layers", 2},
                     {"num_attention_heads", 6},
                     {"num_key_value_heads", 2},
                     {"max_position_embeddings", 16},
                     {"rope_theta", 500000.0},
                     {"rope_scaling",
                      {{"rope_type", "llama3"},
                       {"factor", 8.0},
                       {"low_freq_factor", 1.0},
                       {"high_freq_factor", 4.0},
                       {"original_max_position_embeddings", 8}}}};
const json kQwen = {{"model_type", "qwen2"},   {"vocab_size", 61},       {"hidden_size", 32},
                    {"intermediate_size", 64}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
                    {"num_key_value_heads", 1}};
const json kGpt2 = {{"model_type", "gpt2"}, {"vocab_size", 83}, {"n_embd", 32},
                    {"n_layer", 2},         {"n_head", 4},      {"n_positions", 64}};

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace

TEST_CASE("KV-cache decoding equals the full forward", "[decoder]") {
  for (const json& config : {kLlama, kQwen, kGpt2}) {
    INFO(config["model_type"]);
    CausalLM model = random_model(config);
    torch::NoGradGuard no_grad;
    torch::manual_seed(7);
    torch::Tensor ids =
        torch::randint(0, config["vocab_size"].get<int64_t>(), {3, 21}, torch::kLong);
    torch::Tensor full = model->forward(ids);

    KVCache step_cache;  // one token at a time
    std::vector<torch::Tensor> steps;
    for (int64_t t = 0; t < ids.size(1); ++t)
      steps.push_back(model->forward(ids.narrow(1, t, 1), {&step_cache}));
    CHECK(max_diff(torch::cat(steps, 1), full) < 1e-5);
    CHECK(step_cache.length() == 21);

    KVCache chunk_cache;  // a prefill then chunks of uneven size
    std::vector<torch::Tensor> chunks;
    for (auto [start, len] :
         std::vector<std::pair<int64_t, int64_t>>{{0, 9}, {9, 1}, {10, 5}, {15, 6}})
      chunks.push_back(model->forward(ids.narrow(1, start, len), {&chunk_cache}));
    CHECK(max_diff(torch::cat(chunks, 1), full) < 1e-5);
  }
}

TEST_CASE("left padding with an attention mask equals the unpadded sequence", "[decoder]") {
  for (const json& config : {kLlama, kGpt2}) {
    INFO(config["model_type"]);
    CausalLM model = random_model(config, 3);
    torch::NoGradGuard no_grad;
    torch::Tensor a = torch::randint(0, 50, {1, 12}, torch::kLong);
    torch::Tensor b = torch::randint(0, 50, {1, 7}, torch::kLong);
    torch::Tensor batch =
        torch::cat({a, torch::cat({torch::zeros({1, 5}, torch::kLong), b}, 1)}, 0);
    torch::Tensor mask = torch::ones({2, 12}, torch::kLong);
    mask.index_put_({1, torch::indexing::Slice(0, 5)}, 0);
    KVCache cache;
    torch::Tensor logits = model->forward(batch, {&cache, mask});
    CHECK(max_diff(logits[0], model->forward(a)[0]) < 1e-5);
    CHECK(max_diff(logits[1].narrow(0, 5, 7), model->forward(b)[0]) < 1e-5);
    // One decoding step after the padded prefill continues both rows correctly.
    torch::Tensor next = torch::tensor({{3}, {4}}, torch::kLong);
    torch::Tensor step = model->forward(
        next,
        {&cache,
         torch::ones({2, 13}, torch::kLong).index_put_({1, torch::indexing::Slice(0, 5)}, 0)});
    CHECK(max_diff(step[1][0], model->forward(torch::cat({b, next[1].view({1, 1})}, 1))[0][7]) <
          1e-5);
  }
}

TEST_CASE("stories260K greedy decoding with the KV cache reproduces the reference",
          "[decoder][reference]") {
  const auto dir = test::work_dir() / "stories260K";
  REQUIRE(std::filesystem::exists(dir / "config.json"));
  json ref = json::parse(
      std::ifstream(test::source_dir() / "data/models/stories260K/reference_greedy_100.json"));
  const auto want = ref["greedy_ids"].get<std::vector<int64_t>>();
  CausalLM model = load_model(dir.string());
  torch::NoGradGuard no_grad;
  KVCache cache;
  torch::Tensor next = torch::tensor({{ref["bos_id"].get<int64_t>()}}, torch::kLong);
  std::vector<int64_t> got;
  for (size_t i = 0; i < want.size(); ++i) {
    next = model->forward(next, {&cache}).select(1, -1).argmax(-1, true);
    got.push_back(next.item<int64_t>());
  }
  CHECK(got == want);
}

TEST_CASE("sequences longer than a sliding window are refused", "[decoder]") {
  json mistral = kQwen;
  mistral["model_type"] = "mistral";
  mistral["sliding_window"] = 8;
  CausalLM model = random_model(mistral);
  torch::NoGradGuard no_grad;
  CHECK_NOTHROW(model->forward(torch::zeros({1, 8}, torch::kLong)));
  CHECK_THROWS_WITH(model->forward(torch::zeros({1, 9}, torch::kLong)),
                    Catch::Contains("sliding window 8"));
}
