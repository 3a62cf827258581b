#pragma once
#include <string>
#include <vector>

namespace amkd {

// The candidate closest to `word` by edit distance, or "" when none is close enough to suggest.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace amkd
