// C++ half of scripts/bench_tokenize.sh: encode throughput of amkd's tokenizer on the texts of a
// reference.jsonl, one thread, without special tokens, best of N runs after a warm-up (as the
// Python side times Hugging Face's tokenizers / sentencepiece).
#include <chrono>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"

int main(int argc, char** argv) {
  CLI::App app{"amkd tokenizer benchmark"};
  std::string dir;
  int repeats = 3;
  app.add_option("dir", dir, "tokenizer directory holding reference.jsonl")->required();
  app.add_option("--repeats", repeats);
  CLI11_PARSE(app, argc, argv);
  std::vector<std::string> texts;
  size_t bytes = 0;
  std::ifstream in(dir + "/reference.jsonl");
  for (std::string line; std::getline(in, line);) {
    texts.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
    bytes += texts.back().size();
  }
  auto tok = amkd::load_tokenizer(dir);
  auto run = [&] {
    size_t n = 0;
    for (const auto& t : texts) n += tok->encode(t, false).size();
    return n;
  };
  run();  // warm-up: fills the BPE cache as the Python side's warm-up does
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    run();
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::cout
      << fmt::format(
             R"({{"impl": "amkd", "tokenizer": "{}", "lines": {}, "bytes": {}, "seconds": {:.4f}, "lines_per_s": {:.1f}}})",
             tok->kind(), texts.size(), bytes, best, texts.size() / best)
      << std::endl;
}
