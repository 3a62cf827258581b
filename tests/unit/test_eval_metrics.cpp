#include "catch_torch.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "eval/bleu.h"
#include "eval/eval_runner.h"
#include "eval/porter_stemmer.h"
#include "eval/text_metrics.h"
#include "test_paths.h"

using namespace amkd;
using nlohmann::json;

namespace {

std::vector<json> jsonl(const std::string& name) {
  std::ifstream in(test::work_dir() / name);
  REQUIRE(in);
  std::vector<json> rows;
  for (std::string line; std::getline(in, line);) rows.push_back(json::parse(line));
  return rows;
}

}  // namespace

TEST_CASE("the Porter stemmer equals NLTK's word for word", "[eval]") {
  std::ifstream in(test::work_dir() / "stemmer_reference.tsv");
  REQUIRE(in);
  int64_t words = 0, mismatches = 0;
  for (std::string line; std::getline(in, line);) {
    const size_t tab = line.find('\t');
    const std::string word = line.substr(0, tab), stem = line.substr(tab + 1);
    ++words;
    if (porter_stem(word) != stem && ++mismatches <= 5)
      FAIL_CHECK(word << ": amkd " << porter_stem(word) << ", NLTK " << stem);
  }
  CHECK(words >= 20000);
  CHECK(mismatches == 0);
}

TEST_CASE("ROUGE-L equals rouge-score's on every reference pair", "[eval]") {
  const auto rows = jsonl("rouge_reference.jsonl");
  CHECK(rows.size() >= 1900);
  double worst = 0;
  for (const auto& r : rows) {
    const double got =
        rouge_l(r["prediction"].get<std::string>(), r["reference"].get<std::string>());
    worst = std::max(worst, std::abs(got - r["rougeL"].get<double>()));
  }
  CHECK(worst < 1e-6);
}

TEST_CASE("corpus BLEU equals sacrebleu's on every reference corpus", "[eval]") {
  const auto rows = jsonl("bleu_reference.jsonl");
  int64_t pairs = 0;
  double worst = 0;
  for (const auto& r : rows) {
    const auto hyps = r["hypotheses"].get<std::vector<std::string>>();
    const auto refs = r["references"].get<std::vector<std::vector<std::string>>>();
    for (const auto& item : refs) pairs += static_cast<int64_t>(item.size());
    const BleuScore s = corpus_bleu(hyps, refs);
    worst = std::max(worst, std::abs(s.score - r["bleu"].get<double>()));
    const auto precisions = r["precisions"].get<std::vector<double>>();
    for (size_t n = 0; n < precisions.size(); ++n)
      worst = std::max(worst, std::abs(s.precisions[n] - precisions[n]));
  }
  CHECK(pairs >= 2000);
  CHECK(worst < 1e-6);
}

TEST_CASE("exact match, GSM8K answers and best-of-references scoring", "[eval]") {
  CHECK(normalize_answer("  The  Cat, sat!\n") == "the cat sat");
  CHECK(exact_match("Paris.", "paris"));
  CHECK_FALSE(exact_match("Paris, France", "Paris"));
  CHECK(gsm8k_gold("so 3 + 4 = 7\n#### 1,234").value() == "1234");
  CHECK(last_number("It costs $1,234.50 or -3 dollars").value() == "-3");
  CHECK(gsm8k_correct("The answer is 1234.", "... #### 1,234"));
  CHECK(gsm8k_correct("We get 18.0", "#### 18"));
  CHECK_FALSE(gsm8k_correct("no number", "#### 18"));
  CHECK(best_over_references({"a b c", "x y z"},
                             [](const std::string& r) { return rouge_l("x y z", r); }) == 1.0);
  CHECK(best_over_references({}, [](const std::string&) { return 1.0; }) == 0.0);
}

TEST_CASE("the bundled evaluation sets load with the counts of their provenance", "[eval]") {
  const DataSection data;
  const std::map<std::string, size_t> counts = {{"dolly", 500}, {"selfinst", 242}, {"vicuna", 80},
                                                {"sni", 1694},  {"unni", 1050},    {"gsm8k", 1319}};
  for (const auto& [name, count] : counts) {
    INFO(name);
    const EvalSet set = load_eval_set(name, data);
    CHECK(set.examples.size() == count);
  }
  const EvalSet sni = load_eval_set("sni", data);
  CHECK(std::any_of(sni.examples.begin(), sni.examples.end(),
                    [](const Example& e) { return e.references.size() > 1; }));
  const EvalSet gsm8k = load_eval_set("gsm8k", data);
  CHECK(gsm8k_gold(gsm8k.examples[0].response).has_value());
  CHECK_THROWS_AS(load_eval_set("nosuchset", data), InputError);
}
