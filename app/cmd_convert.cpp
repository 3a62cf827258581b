#include <iostream>
#include <regex>

#include <fmt/format.h>

#include <fmt/ranges.h>

#include "command.h"
#include "model/gguf_import.h"
#include "model_flags.h"

namespace amkd::app {
namespace {

// "5GB", "200MB", "1GiB", "4096" -> bytes.
uint64_t parse_size(const std::string& text) {
  static const std::regex re(R"(\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?i?B?)\s*)", std::regex::icase);
  std::smatch m;
  if (!std::regex_match(text, m, re))
    throw InputError(fmt::format("--max-shard-size: '{}' is not a size like 5GB or 500MB", text));
  const double value = std::stod(m[1]);
  std::string unit = m[2];
  for (auto& c : unit) c = static_cast<char>(std::toupper(c));
  const double base = unit.find('I') != std::string::npos ? 1024.0 : 1000.0;
  double scale = 1;
  if (!unit.empty() && unit[0] != 'B')
    scale = std::pow(base, std::string("KMGT").find(unit[0]) + 1);
  if (value * scale < 1) throw InputError("--max-shard-size must be at least one byte");
  return static_cast<uint64_t>(value * scale);
}

}  // namespace

Command add_convert_command(CLI::App& root) {
  struct Options {
    ModelFlags model;
    std::string gguf, output, max_shard = "5GB";
    RecipeFlags recipe;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cli = root.add_subcommand(
      "convert",
      "re-save a checkpoint in the Hugging Face layout (dtype, shards), or convert a GGUF file");
  cli->add_option("--model", o->model.path,
                  "Hugging Face model directory to read (sets model.path)");
  cli->add_option("--gguf", o->gguf,
                  "llama.cpp GGUF file to convert instead (llama architecture, byte-level BPE "
                  "tokenizer; quantised tensors are dequantised)");
  cli->add_option("--output", o->output, "directory to write (replaced atomically)")->required();
  cli->add_option("--dtype", o->model.dtype,
                  "stored dtype fp32|bf16|fp16 (default: as loaded, model.dtype)");
  cli->add_option("--max-shard-size", o->max_shard, "above this, write shards and an index")
      ->capture_default_str();
  o->recipe.add_to(cli);
  cli->footer(
      "Examples:\n"
      "  amkd convert --model teacher --output teacher-bf16 --dtype bf16\n"
      "  amkd convert --model big --output big-sharded --max-shard-size 2GB\n"
      "  amkd convert --gguf SmolLM2-135M-Instruct.Q4_1.gguf --output smollm2-135m");
  return {cli, [o]() {
            const auto recipe = o->recipe.resolve(o->model.overrides());
            if (!recipe) return 0;
            SaveOptions save;
            save.max_shard_bytes = parse_size(o->max_shard);
            if (!o->gguf.empty()) {
              if (!recipe->model.path.empty())
                throw InputError("convert: give either --gguf FILE or --model DIR, not both");
              std::cerr << fmt::format("reading {}\n", o->gguf);
              GgufImport imported = import_gguf(o->gguf);
              std::vector<std::string> types;
              for (const auto& [type, count] : imported.tensor_types)
                types.push_back(fmt::format("{} {}", count, type));
              save.dtype = parse_dtype(recipe->model.dtype, "--dtype");
              save.extra_files = std::move(imported.tokenizer);
              save_model(*imported.model, o->output, save);
              std::cerr << fmt::format("wrote {} ({}, {} layers) from {} (dequantised: {})\n",
                                       o->output, recipe->model.dtype,
                                       imported.model->config().num_layers, o->gguf,
                                       fmt::join(types, ", "));
              return 0;
            }
            save.source_dir = require_model_path(*recipe, "convert");
            CausalLM model = load_model(save.source_dir, load_options(recipe->model));
            save_model(*model, o->output, save);
            std::cerr << fmt::format("wrote {} ({}) from {}\n", o->output, recipe->model.dtype,
                                     save.source_dir);
            return 0;
          }};
}

}  // namespace amkd::app
