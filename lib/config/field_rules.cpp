#include "config/field_rules.h"

#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fmt/ranges.h>
#include "common/errors.h"
#include "tokenizer/prompt_template.h"

namespace amkd {

Rule<double> positive() {
  return [](const double& v) { return v > 0 ? std::string() : std::string("a number > 0"); };
}

Rule<double> non_negative() {
  return [](const double& v) { return v >= 0 ? std::string() : std::string("a number >= 0"); };
}

Rule<double> unit_interval() {
  return [](const double& v) {
    return v >= 0 && v <= 1 ? std::string() : std::string("a number in [0, 1]");
  };
}

Rule<double> probability() {
  return [](const double& v) {
    return v > 0 && v <= 1 ? std::string() : std::string("a number in (0, 1]");
  };
}

Rule<std::string> one_of(std::vector<std::string> choices) {
  return [choices](const std::string& v) {
    for (const auto& c : choices)
      if (v == c) return std::string();
    return fmt::format("one of {}", fmt::join(choices, ", "));
  };
}

Rule<std::string> device_name() {
  return [](const std::string& v) {
    static const std::regex re("cpu|cuda(:[0-9]+)?");
    return std::regex_match(v, re) ? std::string() : std::string("cpu, cuda or cuda:N");
  };
}

Rule<std::vector<double>> pair_in_unit_interval() {
  return [](const std::vector<double>& v) {
    bool ok = v.size() == 2 && v[0] >= 0 && v[0] < 1 && v[1] >= 0 && v[1] < 1;
    return ok ? std::string() : std::string("two numbers in [0, 1)");
  };
}

Rule<std::string> prompt_template_rule() {
  return [](const std::string& v) {
    try {
      PromptTemplate(v, "template");
      return std::string();
    } catch (const InputError&) {
      return fmt::format(
          "one of {} or a custom template with an {{instruction}} field (and optionally {{input}})",
          fmt::join(PromptTemplate::builtin_names(), ", "));
    }
  };
}

}  // namespace amkd
