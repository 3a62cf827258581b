#include <iostream>

#include <fmt/format.h>

#include "command.h"
#include "tokenizer/tokenize_file.h"

namespace amkd::app {

Command add_tokenize_command(CLI::App& root) {
  struct Options {
    ModelFlags model;
    std::string input, output;
    bool decode = false, no_special = false, skip_special = false;
    RecipeFlags recipe;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cli =
      root.add_subcommand("tokenize", "text to token ids and back with a model's tokenizer");
  cli->add_option("--model", o->model.path,
                  "model directory holding tokenizer.json or tokenizer.model (sets model.path)");
  cli->add_option("--input", o->input,
                  "JSONL: {\"text\": ...} per line (with --decode: {\"ids\": [...]})")
      ->required()
      ->check(CLI::ExistingFile);
  cli->add_option("--output", o->output,
                  "JSONL written: each line plus \"ids\" (with --decode: \"text\")")
      ->required();
  cli->add_flag("--decode", o->decode, "ids to text instead of text to ids");
  cli->add_flag("--no-special", o->no_special,
                "encode without the special tokens (BOS/EOS) the tokenizer adds");
  cli->add_flag("--skip-special", o->skip_special, "decode: drop special tokens from the text");
  o->recipe.add_to(cli);
  cli->footer(
      "Ids are those of Hugging Face's tokenizer for the same files (tokenizer.json preferred "
      "over\n"
      "tokenizer.model, as transformers does; tokenizer_config.json's add_bos_token/add_eos_token "
      "apply).\n"
      "Examples:\n"
      "  amkd tokenize --model models/teacher --input texts.jsonl --output ids.jsonl\n"
      "  amkd tokenize --model models/teacher --input ids.jsonl --output texts.jsonl --decode "
      "--skip-special");
  return {cli, [o]() {
            const auto recipe = o->recipe.resolve(o->model.overrides());
            if (!recipe) return 0;
            const auto tokenizer = load_tokenizer(require_model_path(*recipe, "tokenize"));
            const int64_t n = tokenize_jsonl(*tokenizer, o->input, o->output,
                                             {o->decode, !o->no_special, o->skip_special});
            std::cerr << fmt::format("{} {} lines with {} ({}) -> {}\n",
                                     o->decode ? "decoded" : "encoded", n, recipe->model.path,
                                     tokenizer->kind(), o->output);
            return 0;
          }};
}

}  // namespace amkd::app
