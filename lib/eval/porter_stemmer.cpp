// Port of nltk/stem/porter.py (nltk 3.10.4), NLTK_EXTENSIONS mode only. Each function below mirrors
// the PorterStemmer method named in its comment; the step comments quote Porter's paper
// ("An algorithm for suffix stripping", 1980) as NLTK's docstrings do.
#include "eval/porter_stemmer.h"

#include <array>
#include <cstddef>
#include <utility>

namespace amkd {
namespace {

using std::string;
using std::string_view;

bool is_vowel_letter(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

// _is_consonant: a consonant is a letter other than a, e, i, o, u, and other than a 'y' preceded by
// a consonant. So a 'y' flips the status of the letter before it, and a 'y' starting the word is a
// consonant ("toy": t, y consonants; "syzygy": s, z, g consonants).
bool is_consonant(string_view word, size_t i) {
  if (is_vowel_letter(word[i])) return false;
  if (word[i] != 'y') return true;
  bool negate = false;
  while (i > 0 && word[i] == 'y') {
    negate = !negate;
    --i;
  }
  return !is_vowel_letter(word[i]) != negate;
}

// _measure: m in [C](VC){m}[V], i.e. the number of vowel -> consonant transitions.
int measure(string_view stem) {
  int m = 0;
  bool prev_consonant = true;  // no vowel before the first letter
  for (size_t i = 0; i < stem.size(); ++i) {
    const char c = stem[i];
    const bool consonant = is_vowel_letter(c) ? false
                           : c == 'y'         ? (i == 0 || !prev_consonant)
                                              : true;
    if (consonant && !prev_consonant) ++m;
    prev_consonant = consonant;
  }
  return m;
}

bool has_positive_measure(string_view stem) {
  return measure(stem) > 0;
}

// _contains_vowel (*v*).
bool contains_vowel(string_view stem) {
  for (size_t i = 0; i < stem.size(); ++i)
    if (!is_consonant(stem, i)) return true;
  return false;
}

// _ends_double_consonant (*d).
bool ends_double_consonant(string_view word) {
  const size_t n = word.size();
  return n >= 2 && word[n - 1] == word[n - 2] && is_consonant(word, n - 1);
}

// _ends_cvc (*o): ends consonant-vowel-consonant with the last not w, x or y; NLTK_EXTENSIONS also
// accepts a 2-letter vowel-consonant word (with no w/x/y exception).
bool ends_cvc(string_view word) {
  const size_t n = word.size();
  return (n >= 3 && is_consonant(word, n - 3) && !is_consonant(word, n - 2) &&
          is_consonant(word, n - 1) && word[n - 1] != 'w' && word[n - 1] != 'x' &&
          word[n - 1] != 'y') ||
         (n == 2 && !is_consonant(word, 0) && is_consonant(word, 1));
}

string replace_suffix(string_view word, string_view suffix, string_view replacement) {
  string out(word.substr(0, word.size() - suffix.size()));
  out += replacement;
  return out;
}

// A suffix rule: replace `suffix` by `replacement` if condition(stem, word) holds, where stem is
// the word without the suffix and word is what the rule list is applied to. A null condition is
// unconditional. The suffix "*d" stands for condition *d (any double consonant).
using Condition = bool (*)(string_view stem, string_view word);
struct Rule {
  string_view suffix;
  string_view replacement;
  Condition condition = nullptr;
};

// _apply_rule_list: the first rule whose suffix matches decides; if its condition fails the word
// is returned unchanged, without trying the later rules.
template <size_t N>
string apply_rule_list(string_view word, const std::array<Rule, N>& rules) {
  for (const Rule& rule : rules) {
    if (rule.suffix == "*d" && ends_double_consonant(word)) {
      const string_view stem = word.substr(0, word.size() - 2);
      if (rule.condition == nullptr || rule.condition(stem, word))
        return string(stem) + string(rule.replacement);
      return string(word);
    }
    if (word.ends_with(rule.suffix)) {
      const string_view stem = word.substr(0, word.size() - rule.suffix.size());
      if (rule.condition == nullptr || rule.condition(stem, word))
        return string(stem) + string(rule.replacement);
      return string(word);
    }
  }
  return string(word);
}

bool m_gt_0(string_view stem, string_view) {
  return measure(stem) > 0;
}
bool m_gt_1(string_view stem, string_view) {
  return measure(stem) > 1;
}

// _step1a: SSES -> SS, IES -> I, SS -> SS, S -> ''.
// NLTK extension: a 4-letter word ending in "ies" keeps "ie" ("dies" -> "die", "flies" -> "fli").
string step1a(string_view word) {
  if (word.ends_with("ies") && word.size() == 4) return replace_suffix(word, "ies", "ie");
  static constexpr std::array<Rule, 4> rules{{
      {"sses", "ss"},
      {"ies", "i"},
      {"ss", "ss"},
      {"s", ""},
  }};
  return apply_rule_list(word, rules);
}

// _step1b: (m>0) EED -> EE; (*v*) ED -> ''; (*v*) ING -> ''; after ED/ING: AT -> ATE, BL -> BLE,
// IZ -> IZE, (*d and not (*L or *S or *Z)) -> single letter, (m=1 and *o) -> E.
// NLTK extension first: IED -> IE for a 4-letter word ("died" -> "die"), else IED -> I ("spied").
string step1b(string_view word) {
  if (word.ends_with("ied")) return replace_suffix(word, "ied", word.size() == 4 ? "ie" : "i");

  // (m>0) EED -> EE; an "eed" word failing m>0 is left alone (not tried as "ed": "feed" -> "feed").
  if (word.ends_with("eed")) {
    const string_view stem = word.substr(0, word.size() - 3);
    return measure(stem) > 0 ? string(stem) + "ee" : string(word);
  }

  string_view intermediate_stem;
  bool rule_2_or_3_succeeded = false;
  for (const string_view suffix : {string_view("ed"), string_view("ing")}) {
    if (word.ends_with(suffix)) {
      intermediate_stem = word.substr(0, word.size() - suffix.size());
      if (contains_vowel(intermediate_stem)) {
        rule_2_or_3_succeeded = true;
        break;
      }
    }
  }
  if (!rule_2_or_3_succeeded) return string(word);

  // The *d rule's replacement is the stem's last letter (the doubled consonant).
  const std::array<Rule, 5> rules{{
      {"at", "ate"},
      {"bl", "ble"},
      {"iz", "ize"},
      {"*d", intermediate_stem.substr(intermediate_stem.size() - 1),
       [](string_view, string_view w) {
         return w.back() != 'l' && w.back() != 's' && w.back() != 'z';
       }},
      {"", "e", [](string_view stem, string_view) { return measure(stem) == 1 && ends_cvc(stem); }},
  }};
  return apply_rule_list(intermediate_stem, rules);
}

// _step1c: Y -> I. NLTK's condition (*c and not c): the y follows a consonant and the stem is
// longer than one letter ("happy" -> "happi", "enjoy" -> "enjoy", "fly" -> "fli", "by" -> "by").
string step1c(string_view word) {
  static constexpr std::array<Rule, 1> rules{{
      {"y", "i",
       [](string_view stem, string_view) {
         return stem.size() > 1 && is_consonant(stem, stem.size() - 1);
       }},
  }};
  return apply_rule_list(word, rules);
}

// _step2: (m>0) ATIONAL -> ATE, TIONAL -> TION, ENCI -> ENCE, ... , BILITI -> BLE.
// NLTK_EXTENSIONS differences: ALLI -> AL is tried first and its result goes through step 2 again;
// BLI -> BLE replaces ABLI -> ABLE; FULLI -> FUL and LOGI -> LOG are added, LOGI's condition
// keeping the "l" with the stem (m(word minus "ogi") > 0, so "geologi" -> "geolog").
string step2(string_view word) {
  if (word.ends_with("alli") && has_positive_measure(word.substr(0, word.size() - 4)))
    return step2(replace_suffix(word, "alli", "al"));

  static constexpr std::array<Rule, 22> rules{{
      {"ational", "ate", m_gt_0},
      {"tional", "tion", m_gt_0},
      {"enci", "ence", m_gt_0},
      {"anci", "ance", m_gt_0},
      {"izer", "ize", m_gt_0},
      {"bli", "ble", m_gt_0},
      {"alli", "al", m_gt_0},
      {"entli", "ent", m_gt_0},
      {"eli", "e", m_gt_0},
      {"ousli", "ous", m_gt_0},
      {"ization", "ize", m_gt_0},
      {"ation", "ate", m_gt_0},
      {"ator", "ate", m_gt_0},
      {"alism", "al", m_gt_0},
      {"iveness", "ive", m_gt_0},
      {"fulness", "ful", m_gt_0},
      {"ousness", "ous", m_gt_0},
      {"aliti", "al", m_gt_0},
      {"iviti", "ive", m_gt_0},
      {"biliti", "ble", m_gt_0},
      {"fulli", "ful", m_gt_0},
      {"logi", "log",
       [](string_view, string_view w) { return measure(w.substr(0, w.size() - 3)) > 0; }},
  }};
  return apply_rule_list(word, rules);
}

// _step3: (m>0) ICATE -> IC, ATIVE -> '', ALIZE -> AL, ICITI -> IC, ICAL -> IC, FUL -> '', NESS ->
// ''.
string step3(string_view word) {
  static constexpr std::array<Rule, 7> rules{{
      {"icate", "ic", m_gt_0},
      {"ative", "", m_gt_0},
      {"alize", "al", m_gt_0},
      {"iciti", "ic", m_gt_0},
      {"ical", "ic", m_gt_0},
      {"ful", "", m_gt_0},
      {"ness", "", m_gt_0},
  }};
  return apply_rule_list(word, rules);
}

// _step4: (m>1) AL, ANCE, ENCE, ER, IC, ABLE, IBLE, ANT, EMENT, MENT, ENT, (m>1 and (*S or *T))
// ION, OU, ISM, ATE, ITI, OUS, IVE, IZE -> ''.
string step4(string_view word) {
  static constexpr std::array<Rule, 19> rules{{
      {"al", "", m_gt_1},
      {"ance", "", m_gt_1},
      {"ence", "", m_gt_1},
      {"er", "", m_gt_1},
      {"ic", "", m_gt_1},
      {"able", "", m_gt_1},
      {"ible", "", m_gt_1},
      {"ant", "", m_gt_1},
      {"ement", "", m_gt_1},
      {"ment", "", m_gt_1},
      {"ent", "", m_gt_1},
      {"ion", "",
       [](string_view stem, string_view) {
         return measure(stem) > 1 && (stem.back() == 's' || stem.back() == 't');
       }},
      {"ou", "", m_gt_1},
      {"ism", "", m_gt_1},
      {"ate", "", m_gt_1},
      {"iti", "", m_gt_1},
      {"ous", "", m_gt_1},
      {"ive", "", m_gt_1},
      {"ize", "", m_gt_1},
  }};
  return apply_rule_list(word, rules);
}

// _step5a: (m>1) E -> ''; (m=1 and not *o) E -> ''. Both conditions are tried.
string step5a(string_view word) {
  if (word.ends_with('e')) {
    const string_view stem = word.substr(0, word.size() - 1);
    if (measure(stem) > 1) return string(stem);
    if (measure(stem) == 1 && !ends_cvc(stem)) return string(stem);
  }
  return string(word);
}

// _step5b: (m>1 and *d and *L) -> single letter; NLTK measures the word minus one "l" ("controll"
// -> "control", "roll" -> "roll").
string step5b(string_view word) {
  static constexpr std::array<Rule, 1> rules{{
      {"ll", "l",
       [](string_view, string_view w) { return measure(w.substr(0, w.size() - 1)) > 1; }},
  }};
  return apply_rule_list(word, rules);
}

// NLTK_EXTENSIONS' table of irregular forms, looked up before any step.
constexpr std::array<std::pair<string_view, string_view>, 16> kIrregularForms{{
    {"sky", "sky"},
    {"skies", "sky"},
    {"dying", "die"},
    {"lying", "lie"},
    {"tying", "tie"},
    {"news", "news"},
    {"innings", "inning"},
    {"inning", "inning"},
    {"outings", "outing"},
    {"outing", "outing"},
    {"cannings", "canning"},
    {"canning", "canning"},
    {"howe", "howe"},
    {"proceed", "proceed"},
    {"exceed", "exceed"},
    {"succeed", "succeed"},
}};

}  // namespace

// stem(): lowercase, irregular forms, words of length <= 2 unchanged, then steps 1a..5b.
string porter_stem(string_view word) {
  string stem(word);
  for (char& c : stem)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');

  for (const auto& [form, base] : kIrregularForms)
    if (stem == form) return string(base);

  if (word.size() <= 2) return stem;

  stem = step1a(stem);
  stem = step1b(stem);
  stem = step1c(stem);
  stem = step2(stem);
  stem = step3(stem);
  stem = step4(stem);
  stem = step5a(stem);
  stem = step5b(stem);
  return stem;
}

}  // namespace amkd
