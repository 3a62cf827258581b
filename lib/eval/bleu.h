#pragma once
// Corpus BLEU identical to sacrebleu 2.6.0's default, sacrebleu.corpus_bleu(hyps, refs) / BLEU():
// the 13a (mteval-v13a) tokenizer, case-sensitive, 'exp' smoothing, n-grams up to 4, no effective
// order, brevity penalty from the closest reference length. Papers report this exact
// configuration, so any deviation (another tokenizer, smoothing, or reference-length rule) would
// make amkd's numbers incomparable with theirs. scripts/make_bleu_reference.py writes the cases
// the port is checked against.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace amkd {

struct BleuScore {
  double score = 0;                // 0..100, as sacrebleu reports it
  std::vector<double> precisions;  // n = 1..4, in percent (exp-smoothed where no n-gram matched)
  double bp = 1;                   // brevity penalty
  int64_t sys_len = 0;             // hypothesis tokens
  int64_t ref_len = 0;             // summed closest-reference lengths
  std::vector<int64_t> counts;     // matched n-grams (clipped), n = 1..4
  std::vector<int64_t> totals;     // hypothesis n-grams, n = 1..4
};

// sacrebleu's Tokenizer13a()(line): drops "<skipped>", joins "-\n" line breaks, maps "\n" to a
// space, unescapes &quot; &amp; &lt; &gt;, splits off ASCII punctuation (periods and commas only
// next to a non-digit, '-' only after a digit), and collapses Python-whitespace (Unicode) runs
// into single spaces. It does not strip trailing whitespace first; corpus_bleu does, as
// sacrebleu's BLEU does before tokenizing.
std::string tokenize_13a(std::string_view text);

// Corpus BLEU of `hypotheses`; references[i] holds hypothesis i's references (one or more, the
// number may vary per item; sacrebleu takes them as reference streams padded with None). Throws
// InputError when the sizes differ, the corpus is empty or an item has no reference (sacrebleu
// fails on those too).
BleuScore corpus_bleu(const std::vector<std::string>& hypotheses,
                      const std::vector<std::vector<std::string>>& references);

}  // namespace amkd
