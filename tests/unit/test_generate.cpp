#include "catch_torch.h"

#include <cmath>
#include <fstream>

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include "generate/generator.h"
#include "model/checkpoint.h"
#include "test_paths.h"

using namespace amkd;
using nlohmann::json;

namespace {

// The distribution sampling must follow, computed independently in double precision:
// softmax(logits / T), keep the k largest, keep the smallest prefix (by descending probability)
// whose mass before each kept token is < top_p, renormalise.
std::vector<double> expected_distribution(const std::vector<double>& logits,
                                          const SamplingParams& p) {
  const size_t n = logits.size();
  std::vector<double> prob(n);
  double z = 0;
  for (size_t i = 0; i < n; ++i) z += prob[i] = std::exp(logits[i] / p.temperature);
  for (auto& q : prob) q /= z;
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return prob[a] > prob[b]; });
  std::vector<double> kept(n, 0.0);
  const size_t k = p.top_k > 0 ? static_cast<size_t>(p.top_k) : n;
  double top_k_mass = 0;
  for (size_t r = 0; r < k; ++r) top_k_mass += prob[order[r]];
  double before = 0, total = 0;
  for (size_t r = 0; r < k; ++r) {
    const double q =
        prob[order[r]] / top_k_mass;  // top-p acts on the top-k renormalised distribution
    if (before < p.top_p) {
      kept[order[r]] = q;
      total += q;
    }
    before += q;
  }
  for (auto& q : kept) q /= total;
  return kept;
}

}  // namespace

TEST_CASE("sampling frequencies match the truncated, renormalised distribution", "[generate]") {
  const std::vector<double> logits = {2.0, 1.5, 1.0, 0.7, 0.5, 0.0, -0.5, -1.0, -2.0, -3.0};
  torch::Tensor t = torch::tensor(std::vector<float>(logits.begin(), logits.end()));
  const std::vector<SamplingParams> cases = {{false, 1.0, 0, 1.0},
                                             {false, 0.7, 0, 1.0},
                                             {false, 1.0, 3, 1.0},
                                             {false, 1.0, 0, 0.8},
                                             {false, 1.3, 5, 0.9}};
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(2024);
  const int draws = 20000;
  for (const auto& p : cases) {
    INFO("temperature " << p.temperature << " top_k " << p.top_k << " top_p " << p.top_p);
    const auto want = expected_distribution(logits, p);
    std::vector<int> counts(logits.size(), 0);
    for (int i = 0; i < draws; ++i) ++counts[sample_token(t, p, gen)];
    double chi2 = 0;
    int df = -1;
    for (size_t i = 0; i < logits.size(); ++i) {
      if (want[i] == 0) {
        CHECK(counts[i] == 0);  // truncated tokens are never drawn
        continue;
      }
      const double e = want[i] * draws;
      chi2 += (counts[i] - e) * (counts[i] - e) / e;
      ++df;
    }
    // 0.1% critical values of chi-square for df 1..9.
    const double critical[] = {0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88};
    INFO("chi2 " << chi2 << " df " << df);
    CHECK(chi2 < critical[df]);
  }
  CHECK(sample_token(t, {true, 1.0, 0, 1.0}, gen) == 0);
}

TEST_CASE("greedy generation equals transformers' generate, batched with left padding",
          "[generate][reference]") {
  for (const char* name : {"llama_gqa_llama3", "llama_tied", "qwen2", "mistral", "gpt2"}) {
    INFO(name);
    const auto dir = test::reference_models() / name;
    CausalLM model = load_model(dir.string());
    std::vector<GenerationRequest> requests;
    std::vector<std::vector<int64_t>> want;
    std::ifstream in(dir / "generate_reference.jsonl");
    for (std::string line; std::getline(in, line);) {
      const auto j = json::parse(line);
      requests.push_back({j["prompt"].get<std::vector<int64_t>>(), 0});
      want.push_back(j["greedy"].get<std::vector<int64_t>>());
    }
    REQUIRE(requests.size() == 3);
    GenerationConfig config;
    config.sampling.greedy = true;
    config.max_new_tokens = 24;
    if (model->config().eos_token_id && std::string(name) != "qwen2")
      config.eos_ids = {*model->config().eos_token_id};
    // Three prompts of 3, 12 and 7 tokens pad by 40%: each prefills alone on the CPU.
    const auto got = generate(*model, requests, config);
    for (size_t i = 0; i < want.size(); ++i) CHECK(got[i].tokens == want[i]);
    // Six more copies of the longest prompt bring padding under a fifth: one padded prefill.
    REQUIRE(requests[1].prompt.size() == 12);
    for (int copy = 0; copy < 6; ++copy) {
      requests.push_back(requests[1]);
      want.push_back(want[1]);
    }
    const auto padded = generate(*model, requests, config);
    for (size_t i = 0; i < want.size(); ++i) CHECK(padded[i].tokens == want[i]);
  }
}

TEST_CASE(
    "finished rows leave the batch without changing the others, and seeds make runs repeatable",
    "[generate]") {
  CausalLM model = load_model((test::reference_models() / "llama_tied").string());
  const std::vector<GenerationRequest> requests = {
      {{5, 9, 11}, 1}, {{3, 4}, 2}, {{7, 8, 9, 10, 12}, 3}};
  GenerationConfig greedy;
  greedy.sampling.greedy = true;
  greedy.max_new_tokens = 12;
  const auto full = generate(*model, requests, greedy);
  // Stop row 0 after its third token: rows 1 and 2 must continue exactly as before.
  GenerationConfig stopping = greedy;
  stopping.stop = [](size_t request, const std::vector<int64_t>& tokens) {
    return request == 0 && tokens.size() == 3;
  };
  const auto stopped = generate(*model, requests, stopping);
  CHECK(stopped[0].finish_reason == "stop");
  CHECK(stopped[0].tokens ==
        std::vector<int64_t>(full[0].tokens.begin(), full[0].tokens.begin() + 3));
  CHECK(stopped[1].tokens == full[1].tokens);
  CHECK(stopped[2].tokens == full[2].tokens);
  CHECK(full[1].finish_reason == "length");
  // Each request alone gives what it gave in the batch.
  for (size_t i = 0; i < requests.size(); ++i)
    CHECK(generate(*model, {requests[i]}, greedy)[0].tokens == full[i].tokens);
  // Sampling with per-request seeds repeats exactly; another seed gives another sample.
  GenerationConfig sample;
  sample.max_new_tokens = 16;
  const auto a = generate(*model, requests, sample);
  const auto b = generate(*model, requests, sample);
  for (size_t i = 0; i < requests.size(); ++i) CHECK(a[i].tokens == b[i].tokens);
  auto reseeded = requests;
  reseeded[0].seed = 99;
  CHECK(generate(*model, reseeded, sample)[0].tokens != a[0].tokens);
}
