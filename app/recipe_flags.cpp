#include <iostream>

#include "command.h"

namespace amkd::app {

void RecipeFlags::add_to(CLI::App* cli) {
  cli->add_option("--recipe", recipe, "recipe YAML file (flags and --set override its keys)")
      ->check(CLI::ExistingFile);
  cli->add_option("--set", sets, "override a recipe key, e.g. --set model.dtype=bf16 (repeatable)")
      ->type_name("KEY=VALUE");
  cli->add_flag("--dump-config", dump, "print the resolved recipe as YAML and exit");
}

Recipe RecipeFlags::resolve(const std::vector<std::string>& flag_overrides) const {
  RecipeSource source{recipe, flag_overrides};
  source.overrides.insert(source.overrides.end(), sets.begin(), sets.end());
  return load_recipe(source);
}

std::string yaml_quote(const std::string& value) {
  std::string q = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

}  // namespace amkd::app
