#pragma once
// Validation rules attached to recipe fields. A rule returns an empty string when the value is
// fine, otherwise what was expected ("a number > 0").
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace amkd {

template <class T>
using Rule = std::function<std::string(const T&)>;

Rule<double> positive();
Rule<double> non_negative();
Rule<double> unit_interval();  // [0, 1]
Rule<double> probability();    // (0, 1]
Rule<std::string> one_of(std::vector<std::string> choices);
Rule<std::string> device_name();
Rule<std::vector<double>> pair_in_unit_interval();  // two numbers in [0, 1)
Rule<std::string> prompt_template_rule();           // a built-in name or a custom template
Rule<std::string> non_empty_list();                 // "a,b": comma-separated, no empty item
Rule<std::string> seed_list();                      // "10,20": comma-separated integers >= 0

// "a, b,c" -> {"a", "b", "c"} (spaces around items dropped).
std::vector<std::string> split_list(const std::string& text);

}  // namespace amkd
