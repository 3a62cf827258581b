#include "catch_torch.h"

#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "test_paths.h"

using namespace amkd;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const json kConfig = {{"model_type", "llama"},    {"vocab_size", 50},
                      {"hidden_size", 16},        {"intermediate_size", 24},
                      {"num_hidden_layers", 1},   {"num_attention_heads", 2},
                      {"num_key_value_heads", 1}, {"tie_word_embeddings", false},
                      {"eos_token_id", 2}};

// A checkpoint directory with the given tensors (all fp32 random) and kConfig.
fs::path make_checkpoint(const std::string& name, std::vector<ParamSpec> specs,
                         const json& config = kConfig) {
  auto dir = test::scratch("ckpt_" + name);
  std::ofstream(dir / "config.json") << config.dump();
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& s : specs) tensors.emplace_back(s.name, torch::randn(s.shape));
  write_safetensors((dir / "model.safetensors").string(), tensors);
  return dir;
}

std::string error_of(const fs::path& dir) {
  try {
    load_model(dir.string());
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("one error lists every missing, unexpected and mis-shaped tensor", "[checkpoint]") {
  auto specs = parameter_specs(parse_model_config(kConfig, "test"));
  specs.erase(std::remove_if(specs.begin(), specs.end(),
                             [](const ParamSpec& s) {
                               return s.name == "lm_head.weight" || s.name == "model.norm.weight";
                             }),
              specs.end());
  for (auto& s : specs)
    if (s.name == "model.layers.0.self_attn.k_proj.weight") s.shape = {16, 16};
  specs.push_back({"model.layers.7.mlp.gate_proj.weight", {4, 4}});
  const std::string e = error_of(make_checkpoint("mismatch", specs));
  CHECK_THAT(e, Catch::Contains("missing tensors (2)"));
  CHECK_THAT(e, Catch::Contains("lm_head.weight [50, 16]"));
  CHECK_THAT(e, Catch::Contains("model.norm.weight [16]"));
  CHECK_THAT(e, Catch::Contains("mis-shaped tensors (1)"));
  CHECK_THAT(
      e, Catch::Contains(
             "model.layers.0.self_attn.k_proj.weight: expected [8, 16] float, found [16, 16] F32"));
  CHECK_THAT(e, Catch::Contains("unexpected tensors (1)"));
  CHECK_THAT(e, Catch::Contains("model.layers.7.mlp.gate_proj.weight"));
}

TEST_CASE("config problems are input errors", "[checkpoint]") {
  auto specs = parameter_specs(parse_model_config(kConfig, "test"));
  json unknown = kConfig;
  unknown["model_type"] = "falcon";
  CHECK_THAT(error_of(make_checkpoint("unknown_type", specs, unknown)),
             Catch::Contains("model_type 'falcon' is not supported"));
  json missing = kConfig;
  missing.erase("hidden_size");
  CHECK_THAT(error_of(make_checkpoint("missing_field", specs, missing)),
             Catch::Contains("missing required field 'hidden_size'"));
  json yarn = kConfig;
  yarn["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  CHECK_THAT(error_of(make_checkpoint("yarn", specs, yarn)),
             Catch::Contains("rope_type 'yarn' is not supported"));
  auto dir = make_checkpoint("not_json", specs);
  std::ofstream(dir / "config.json") << "{\"model_type\": ";
  CHECK_THAT(error_of(dir), Catch::Contains("not valid JSON"));
  CHECK_THAT(error_of(test::scratch("empty_dir")), Catch::Contains("no config.json"));
}

TEST_CASE("save then load keeps every parameter, dtypes convert on load", "[checkpoint]") {
  auto specs = parameter_specs(parse_model_config(kConfig, "test"));
  auto src = make_checkpoint("source", specs);
  CausalLM model = load_model(src.string());
  auto out = test::scratch("ckpt_saved") / "model";
  save_model(*model, out.string(), {src.string(), torch::kBFloat16, 1000});  // bf16, sharded
  CHECK(fs::exists(out / "model.safetensors.index.json"));
  CHECK(fs::exists(out / "generation_config.json"));
  CHECK(json::parse(std::ifstream(out / "config.json"))["torch_dtype"] == "bfloat16");
  CausalLM back = load_model(out.string(), {torch::kFloat32});
  for (const auto& s : specs) {
    torch::Tensor want = model->parameter(s.name).to(torch::kBFloat16).to(torch::kFloat32);
    CHECK(torch::equal(back->parameter(s.name), want));
  }
  CausalLM half = load_model(out.string(), {torch::kFloat16});
  CHECK(half->parameter("lm_head.weight").scalar_type() == torch::kFloat16);
  // Saving over an existing directory replaces it whole; no temp directories are left behind.
  save_model(*model, out.string(), {src.string()});
  CHECK(fs::exists(out / "model.safetensors"));
  CHECK(!fs::exists(out / "model.safetensors.index.json"));
  for (const auto& entry : fs::directory_iterator(out.parent_path()))
    CHECK(entry.path().filename().string().rfind(".model.", 0) != 0);
}

TEST_CASE("config.json parsing never crashes, whatever the bytes", "[checkpoint][fuzz]") {
  auto specs = parameter_specs(parse_model_config(kConfig, "test"));
  auto dir = make_checkpoint("config_fuzz", specs);
  std::ofstream(dir / "config.json")
      << "{\"model_type\": " << std::string(100000, '[') << std::string(100000, ']') << "}";
  CHECK_THAT(error_of(dir), Catch::Contains("nested deeper than"));
  const std::string seed = kConfig.dump();
  std::mt19937 rng(5);
  for (int i = 0; i < 1000; ++i) {
    std::string text = seed;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k)
      text[rng() % text.size()] = static_cast<char>(rng() % 128);
    std::ofstream(dir / "config.json", std::ios::trunc) << text;
    try {
      load_model(dir.string());
    } catch (const InputError&) {
    }
  }
}

TEST_CASE("old GPT-2 checkpoints without the transformer. prefix load", "[checkpoint]") {
  const json config = {{"model_type", "gpt2"}, {"vocab_size", 30}, {"n_embd", 8},
                       {"n_layer", 1},         {"n_head", 2},      {"n_positions", 16}};
  std::vector<ParamSpec> specs = parameter_specs(parse_model_config(config, "test"));
  for (auto& s : specs) s.name = s.name.substr(std::string("transformer.").size());
  specs.push_back({"h.0.attn.bias", {1, 1, 16, 16}});  // the causal-mask buffer old files carry
  auto dir = make_checkpoint("gpt2_old_names", specs, config);
  CausalLM model = load_model(dir.string());
  SafetensorsFile file((dir / "model.safetensors").string());
  CHECK(torch::equal(model->parameter("transformer.h.0.attn.c_attn.weight"),
                     file.load(*file.find("h.0.attn.c_attn.weight"))));
}

TEST_CASE("saving copies tokenizer files and generation_config.json along", "[checkpoint]") {
  auto specs = parameter_specs(parse_model_config(kConfig, "test"));
  auto src = make_checkpoint("with_tokenizer", specs);
  std::ofstream(src / "tokenizer.json") << "{\"model\": {}}";
  std::ofstream(src / "tokenizer_config.json") << "{}";
  std::ofstream(src / "generation_config.json") << "{\"eos_token_id\": 7}";
  auto out = test::scratch("ckpt_with_tokenizer_saved") / "out";
  save_model(*load_model(src.string()), out.string(), {src.string()});
  const std::vector<std::string> want = {"tokenizer.json", "tokenizer_config.json"};
  CHECK(tokenizer_files_in(out.string()) == want);
  CHECK(json::parse(std::ifstream(out / "generation_config.json"))["eos_token_id"] == 7);
}
