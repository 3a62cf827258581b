#include <iostream>

#include "command.h"

namespace amkd::app {

void RecipeFlags::add_to(CLI::App* cli, bool positional) {
  cli->add_option(positional ? "recipe,--recipe" : "--recipe", recipe,
                  "recipe YAML file (flags and --set override its keys)")
      ->check(CLI::ExistingFile);
  cli->add_option("--set", sets, "override a recipe key, e.g. --set model.dtype=bf16 (repeatable)")
      ->type_name("KEY=VALUE");
  cli->add_flag("--dump-config", dump, "print the resolved recipe as YAML and exit");
}

std::optional<Recipe> RecipeFlags::resolve(const std::vector<std::string>& flag_overrides) const {
  RecipeSource source{recipe, flag_overrides};
  source.overrides.insert(source.overrides.end(), sets.begin(), sets.end());
  Recipe resolved = load_recipe(source);
  if (!dump) return resolved;
  std::cout << dump_recipe(resolved);
  return std::nullopt;
}

void add_override(std::vector<std::string>& overrides, const char* key, const std::string& value) {
  if (!value.empty()) overrides.push_back(std::string(key) + "=" + yaml_scalar(value));
}

std::vector<std::string> ModelFlags::overrides() const {
  std::vector<std::string> out;
  add_override(out, "model.path", path);
  add_override(out, "model.dtype", dtype);
  add_override(out, "model.device", device);
  return out;
}

const std::string& require_model_path(const Recipe& recipe, const char* command) {
  if (recipe.model.path.empty())
    throw InputError(std::string(command) + ": give a model directory (--model DIR or model.path)");
  return recipe.model.path;
}

}  // namespace amkd::app
