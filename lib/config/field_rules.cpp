#include "config/field_rules.h"

#include <cmath>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/errors.h"
#include "tokenizer/prompt_template.h"

namespace amkd {

Rule<double> positive() {
  return [](const double& v) {
    if (!std::isfinite(v)) return std::string("a finite number");
    return v > 0 ? std::string() : std::string("a number > 0");
  };
}

Rule<double> non_negative() {
  return [](const double& v) {
    if (!std::isfinite(v)) return std::string("a finite number");
    return v >= 0 ? std::string() : std::string("a number >= 0");
  };
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

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    items.push_back(b == std::string::npos ? "" : item.substr(b, e - b + 1));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

Rule<std::string> non_empty_list() {
  return [](const std::string& v) {
    for (const auto& item : split_list(v))
      if (item.empty()) return std::string("a comma-separated list without empty items");
    return std::string();
  };
}

Rule<std::string> seed_list() {
  return [](const std::string& v) {
    static const std::regex number("[0-9]{1,18}");
    for (const auto& item : split_list(v))
      if (!std::regex_match(item, number)) return std::string("comma-separated integers >= 0");
    return std::string();
  };
}

}  // namespace amkd
