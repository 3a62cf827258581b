#include "catch_torch.h"

#include <set>

#include "data/batching.h"

using namespace amkd;

TEST_CASE("seeded permutations and splits are deterministic and complete", "[data]") {
  const auto p = seeded_permutation(1000, 42);
  CHECK(p == seeded_permutation(1000, 42));
  CHECK(p != seeded_permutation(1000, 43));
  CHECK(std::set<size_t>(p.begin(), p.end()).size() == 1000);
  // Every position is reached: the first element is spread over many values across seeds.
  std::set<size_t> firsts;
  for (uint64_t s = 0; s < 200; ++s) firsts.insert(seeded_permutation(10, s)[0]);
  CHECK(firsts.size() == 10);
  const Split split = split_train_valid(100, 10, 7);
  CHECK(split.valid.size() == 10);
  CHECK(split.train.size() == 90);
  std::set<size_t> all(split.train.begin(), split.train.end());
  all.insert(split.valid.begin(), split.valid.end());
  CHECK(all.size() == 100);
  CHECK(split_train_valid(100, 10, 7).valid == split.valid);
}

TEST_CASE("batches cover each epoch once, shard by rank and resume from a cursor", "[data]") {
  BatchSampler sampler(103, 4, 1);
  CHECK(sampler.batches_per_epoch() == 25);
  std::set<size_t> seen;
  for (int b = 0; b < 25; ++b)
    for (size_t i : sampler.next()) CHECK(seen.insert(i).second);  // no repeats within an epoch
  CHECK(seen.size() == 100);
  const auto epoch1_first = sampler.next();
  CHECK(sampler.cursor().epoch == 1);

  // Resume: a fresh sampler restored to a saved cursor draws what the original draws next.
  BatchSampler a(103, 4, 1), b(103, 4, 1);
  for (int i = 0; i < 30; ++i) a.next();
  const DataCursor saved = a.cursor();
  b.restore(saved);
  for (int i = 0; i < 10; ++i) CHECK(a.next() == b.next());

  // Two ranks split every epoch between them without overlap.
  BatchSampler r0(100, 5, 3, {}, 0, 2), r1(100, 5, 3, {}, 1, 2);
  CHECK(r0.batches_per_epoch() == 10);
  std::set<size_t> both;
  for (int i = 0; i < 10; ++i) {
    for (size_t x : r0.next()) CHECK(both.insert(x).second);
    for (size_t x : r1.next()) CHECK(both.insert(x).second);
  }
  CHECK(both.size() == 100);
}

TEST_CASE("N ranks with batch b draw the global batches of one rank with batch N x b", "[data]") {
  std::vector<int64_t> lengths;
  for (int i = 0; i < 1000; ++i) lengths.push_back((i * 53) % 311);
  for (bool grouped : {false, true}) {
    const auto l = grouped ? lengths : std::vector<int64_t>{};
    BatchSampler one(1000, 12, 9, l), r0(1000, 4, 9, l, 0, 3), r1(1000, 4, 9, l, 1, 3),
        r2(1000, 4, 9, l, 2, 3);
    CHECK(r1.batches_per_epoch() == one.batches_per_epoch());
    for (int step = 0; step < 2 * one.batches_per_epoch(); ++step) {  // two epochs
      std::vector<size_t> global = r0.next();
      for (auto* r : {&r1, &r2}) {
        const auto part = r->next();
        global.insert(global.end(), part.begin(), part.end());
      }
      INFO("grouped " << grouped << ", step " << step);
      REQUIRE(global == one.next());
    }
  }
}

TEST_CASE("length grouping puts similar lengths in a batch", "[data]") {
  std::vector<int64_t> lengths;
  for (int i = 0; i < 400; ++i) lengths.push_back((i * 37) % 200);
  BatchSampler grouped(400, 8, 5, lengths), plain(400, 8, 5);
  auto spread = [&](BatchSampler& s) {
    int64_t total = 0;
    for (int b = 0; b < 50; ++b) {
      const auto batch = s.next();
      int64_t lo = 1 << 30, hi = 0;
      for (size_t i : batch) lo = std::min(lo, lengths[i]), hi = std::max(hi, lengths[i]);
      total += hi - lo;
    }
    return total;
  };
  CHECK(spread(grouped) * 5 < spread(plain));
}
