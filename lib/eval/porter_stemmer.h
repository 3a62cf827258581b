#pragma once
// Porter stemmer, a port of NLTK's nltk.stem.porter.PorterStemmer in its default NLTK_EXTENSIONS
// mode (nltk 3.10.4). ROUGE with use_stemmer=True is scored by rouge_score, which stems its tokens
// with exactly that stemmer, so amkd's ROUGE-L only matches the published numbers if this port
// returns NLTK's stem for every word, quirks included. scripts/make_stemmer_reference.py writes
// NLTK's stems of ~96k words to check it against.
#include <string>
#include <string_view>

namespace amkd {

// NLTK's PorterStemmer().stem(word). Meant for rouge_score's tokens (lowercase [a-z0-9]+); other
// input is handled as NLTK handles it where ASCII bytes are concerned: ASCII letters are
// lowercased, words of at most 2 bytes come back (lowercased) unchanged. Non-ASCII bytes are
// treated as consonants and counted as one character each, which differs from NLTK's code-point
// view. Note rouge_score itself only calls the stemmer on tokens longer than 3 characters.
std::string porter_stem(std::string_view word);

}  // namespace amkd
