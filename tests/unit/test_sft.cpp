#include "catch_torch.h"

#include <algorithm>
#include <random>

#include "data/training_set.h"
#include "model/checkpoint.h"
#include "test_paths.h"
#include "tokenizer/tokenizer.h"
#include "train/sft_trainer.h"

using namespace amkd;

namespace {

// Random sequences with prompts and responses of different lengths.
std::vector<EncodedExample> random_examples(int n, int64_t vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<EncodedExample> out;
  for (int i = 0; i < n; ++i) {
    EncodedExample e;
    e.prompt_length = 2 + static_cast<int64_t>(rng() % 9);
    const int64_t total = e.prompt_length + 1 + static_cast<int64_t>(rng() % 12);
    for (int64_t t = 0; t < total; ++t) {
      e.ids.push_back(static_cast<int64_t>(rng() % vocab));
      e.loss_mask.push_back(t >= e.prompt_length);
    }
    out.push_back(e);
  }
  return out;
}

std::vector<torch::Tensor> gradients(CausalLMImpl& model) {
  std::vector<torch::Tensor> g;
  for (auto& p : model.parameters()) g.push_back(p.grad().clone());
  model.zero_grad();
  return g;
}

// Gradient of the mean response NLL written directly: each sequence on its own (no padding),
// log_softmax over all logits, response positions picked by the loss mask.
std::vector<torch::Tensor> direct_mean_gradients(CausalLMImpl& model,
                                                 const std::vector<EncodedExample>& examples) {
  torch::Tensor sum = torch::zeros({}, torch::kFloat64);
  int64_t count = 0;
  for (const auto& e : examples) {
    const auto ids = torch::tensor(e.ids).unsqueeze(0);
    const auto logp = torch::log_softmax(model.forward(ids)[0].to(torch::kFloat64), -1);
    for (size_t t = 0; t + 1 < e.ids.size(); ++t) {
      if (!e.loss_mask[t + 1]) continue;
      sum = sum - logp[static_cast<int64_t>(t)][e.ids[t + 1]];
      ++count;
    }
  }
  (sum / count).backward();
  return gradients(model);
}

void require_close(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = (a[i] - b[i]).abs().max().item<double>();
    INFO("parameter " << i << " max diff " << diff);
    CHECK(diff < 1e-5);
  }
}

}  // namespace

TEST_CASE("micro-batch 2 x accumulation 4 gives the gradients of micro-batch 8 x 1", "[sft]") {
  CausalLM model = load_model((test::reference_models() / "llama_tied").string());
  model->train();
  const auto examples = random_examples(8, model->config().vocab_size, 7);
  std::vector<const EncodedExample*> batch;
  for (const auto& e : examples) batch.push_back(&e);

  const auto params = model->parameters();
  const StepTotals a =
      reduce_gradients(params, accumulate_nll_gradients(*model, batch, 2, 0), nullptr);
  const auto grads_a = gradients(*model);
  const StepTotals b =
      reduce_gradients(params, accumulate_nll_gradients(*model, batch, 8, 0), nullptr);
  const auto grads_b = gradients(*model);
  const auto direct = direct_mean_gradients(*model, examples);

  int64_t response_tokens = 0;
  for (const auto& e : examples)
    response_tokens += static_cast<int64_t>(e.ids.size()) - e.prompt_length;
  CHECK(a.count == response_tokens);
  CHECK(b.count == response_tokens);
  CHECK(std::abs(a.loss_sum - b.loss_sum) < 1e-3);
  require_close(grads_a, grads_b);
  require_close(grads_a, direct);
  CHECK(std::abs(mean_nll(*model, batch, 3, 0, false) - a.loss_sum / a.count) < 1e-5);
}

TEST_CASE("right-padded batches predict next tokens on response positions only", "[sft]") {
  EncodedExample x{{5, 6, 7, 8}, {0, 0, 1, 1}, 2}, y{{9, 10, 11}, {0, 1, 1}, 1};
  const TrainBatch b = collate_training_batch({&x, &y}, 3);
  CHECK(b.input_ids.sizes() == torch::IntArrayRef{2, 4});
  CHECK(b.target_count == 4);
  CHECK(torch::equal(b.input_ids, torch::tensor({5, 6, 7, 8, 9, 10, 11, 3}).view({2, 4})));
  CHECK(torch::equal(b.target_mask,
                     torch::tensor({0, 1, 1, 0, 1, 1, 0, 0}).view({2, 4}).to(torch::kBool)));
  CHECK(torch::equal(b.targets, torch::tensor({3, 7, 8, 3, 10, 11, 3, 3}).view({2, 4})));
}

TEST_CASE("length limits keep the prompt's beginning, cut responses, and count both", "[sft]") {
  const auto tokenizer = load_tokenizer((test::source_dir() / "data/tokenizers/gpt2").string());
  const PromptTemplate plain("plain", "test");
  Example short_one, long_prompt, long_response;
  short_one.prompt = "Hi";
  short_one.response = " there";
  long_prompt.prompt = std::string(200, 'a') + " b c d e f g h i j k l m n o p";
  long_prompt.response = " yes";
  long_response.prompt = "Q";
  long_response.response =
      " one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen";
  const auto full_long = tokenizer->encode(long_prompt.prompt, true);
  const EncodedSet set =
      encode_training_set(*tokenizer, plain, {short_one, long_prompt, long_response}, {10, 16});
  CHECK(set.truncated_prompts == 1);
  CHECK(set.truncated_responses == 1);
  const auto& p = set.examples[1];
  CHECK(p.prompt_length == 10);
  CHECK(std::vector<int64_t>(p.ids.begin(), p.ids.begin() + 10) ==
        std::vector<int64_t>(full_long.begin(), full_long.begin() + 10));
  CHECK(p.ids.back() == *tokenizer->special().eos);
  const auto& r = set.examples[2];
  CHECK(r.ids.size() == 16);
  CHECK(std::count(r.loss_mask.begin(), r.loss_mask.end(), 1) == 16 - r.prompt_length);
  CHECK(set.examples[0].ids == encode_example(*tokenizer, "Hi", " there").ids);

  // data.on_long: skip drops both long examples instead, and keeps the short one whole.
  const EncodedSet skipped = encode_training_set(
      *tokenizer, plain, {short_one, long_prompt, long_response}, {10, 16, true});
  CHECK(skipped.skipped_long == 2);
  CHECK(skipped.truncated_prompts + skipped.truncated_responses == 0);
  REQUIRE(skipped.examples.size() == 1);
  CHECK(skipped.examples[0].ids == set.examples[0].ids);
  CHECK(skipped.ids == std::vector<std::string>{short_one.id});
}
