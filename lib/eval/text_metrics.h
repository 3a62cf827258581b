#pragma once
// Per-item text metrics scored exactly as the evaluation code MiniLLM and DistiLLM share (from
// Super-NaturalInstructions): ROUGE-L F-measure identical to Google's rouge-score package with
// RougeScorer(['rougeL'], use_stemmer=True), exact match after normalisation, and GSM8K
// answer accuracy. With several references an item scores its best reference.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace amkd {

// rouge-score's tokenizer: Python lower(), every character outside [a-z0-9] a separator, and
// tokens longer than 3 characters Porter-stemmed (NLTK's stemmer).
std::vector<std::string> rouge_tokens(std::string_view text);

// ROUGE-L F-measure (LCS-based) of a prediction against one reference, in [0, 1].
double rouge_l(std::string_view prediction, std::string_view reference);

// SQuAD-style normalisation: lowercase, ASCII punctuation removed, whitespace collapsed.
std::string normalize_answer(std::string_view text);
bool exact_match(std::string_view prediction, std::string_view reference);

// GSM8K: the gold answer follows "####"; a prediction's answer is its last number (commas
// dropped). nullopt when there is none.
std::optional<std::string> gsm8k_gold(std::string_view answer);
std::optional<std::string> last_number(std::string_view text);
bool gsm8k_correct(std::string_view prediction, std::string_view gold_answer);

// The best score over references (0 with none).
template <class F>
double best_over_references(const std::vector<std::string>& references, F score) {
  double best = 0;
  for (const auto& r : references) best = std::max(best, score(r));
  return best;
}

}  // namespace amkd
