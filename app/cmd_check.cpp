#include <iostream>

#include <fmt/format.h>

#include "command.h"
#include "model/model_config.h"
#include "tokenizer/compatibility.h"

namespace amkd::app {

Command add_check_command(CLI::App& root) {
  struct Options {
    std::string recipe_file, teacher, student, prompt_template;
    RecipeFlags recipe;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cli = root.add_subcommand(
      "check", "teacher/student compatibility: vocabularies, output heads, template");
  cli->add_option("recipe", o->recipe_file,
                  "recipe YAML (teacher.path, student.path, data.template)")
      ->check(CLI::ExistingFile);
  cli->add_option("--teacher", o->teacher, "teacher model directory (sets teacher.path)");
  cli->add_option("--student", o->student, "student model directory (sets student.path)");
  cli->add_option("--template", o->prompt_template, "prompt template (sets data.template)");
  o->recipe.add_to(cli);
  cli->footer(
      "Exit 0 when the pair can be distilled (warnings name what amkd masks), 2 with a report "
      "otherwise.\n"
      "Examples:\n"
      "  amkd check recipes/distill.yaml\n"
      "  amkd check --teacher models/qwen2-7b --student models/qwen2-0.5b --template chatml");
  return {
      cli, [o]() {
        if (!o->recipe_file.empty()) {
          if (!o->recipe.recipe.empty())
            throw InputError("check: give the recipe once (positional or --recipe)");
          o->recipe.recipe = o->recipe_file;
        }
        std::vector<std::string> flags;
        add_override(flags, "teacher.path", o->teacher);
        add_override(flags, "student.path", o->student);
        add_override(flags, "data.template", o->prompt_template);
        const auto recipe = o->recipe.resolve(flags);
        if (!recipe) return 0;
        if (recipe->teacher.path.empty() || recipe->student.path.empty())
          throw InputError("check: the recipe needs teacher.path and student.path");
        const auto teacher_tok = load_tokenizer(recipe->teacher.path);
        const auto student_tok = load_tokenizer(recipe->student.path);
        const CompatSide teacher{"teacher", teacher_tok.get(),
                                 load_model_config(recipe->teacher.path).vocab_size};
        const CompatSide student{"student", student_tok.get(),
                                 load_model_config(recipe->student.path).vocab_size};
        const CompatReport report = check_compatibility(
            teacher, student, PromptTemplate(recipe->data.prompt_template, "data.template"));
        const std::string header = fmt::format(
            "teacher {} ({}, {} tokens, head {})\nstudent {} ({}, {} tokens, head {})\n",
            recipe->teacher.path, teacher_tok->kind(), teacher_tok->vocab_size(),
            teacher.head_vocab, recipe->student.path, student_tok->kind(),
            student_tok->vocab_size(), student.head_vocab);
        if (!report.ok())
          throw InputError("teacher and student are not compatible:\n" + header + report.format());
        std::cout << header << report.format() << "compatible: logits compared over the first "
                  << report.shared_vocab << " ids\n";
        return 0;
      }};
}

}  // namespace amkd::app
