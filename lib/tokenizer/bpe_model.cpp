#include "tokenizer/bpe_model.h"

#include <algorithm>

#include <queue>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/json_io.h"
#include "tokenizer/utf8.h"

namespace amkd {
namespace {

constexpr size_t kCacheLimit = 100000;  // words; the cache is cleared when it grows past this
constexpr size_t kCacheMaxWord = 256;   // longer words are not cached (as tokenizers does)

}  // namespace

BpeModel::BpeModel(const nlohmann::json& model, const std::string& source) {
  auto bad = [&](const std::string& what) {
    return InputError(fmt::format("{}: model: {}", source, what));
  };
  if (!model.contains("vocab") || !model["vocab"].is_object())
    throw bad("'vocab' must be an object of token: id");
  // Ids index a table of tokens: one far beyond the number of entries would allocate that
  // table from a corrupt file (real vocabularies are dense).
  const auto max_id = std::max<int64_t>(1 << 16, 4 * static_cast<int64_t>(model["vocab"].size()));
  for (auto it = model["vocab"].begin(); it != model["vocab"].end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 ||
        (it.value().is_number_unsigned() && it.value().get<uint64_t>() > (1ull << 62)))
      throw bad(fmt::format("vocab['{}'] is not a valid id: {}", it.key(), it.value().dump()));
    if (it.value().get<int64_t>() >= max_id)
      throw bad(fmt::format("vocab['{}'] has id {}, far beyond the vocabulary's {} entries",
                            it.key(), it.value().dump(), model["vocab"].size()));
    const int64_t id = it.value().get<int64_t>();
    vocab_[it.key()] = id;
    if (static_cast<int64_t>(id_to_token_.size()) <= id) id_to_token_.resize(id + 1);
    id_to_token_[id] = it.key();
  }
  const std::string where = source + ": model";
  byte_fallback_ = json_bool(model, "byte_fallback", false, where);
  fuse_unk_ = json_bool(model, "fuse_unk", false, where);
  ignore_merges_ = json_bool(model, "ignore_merges", false, where);
  continuing_subword_prefix_ = json_string(model, "continuing_subword_prefix", "", where);
  end_of_word_suffix_ = json_string(model, "end_of_word_suffix", "", where);
  const nlohmann::json merges = model.value("merges", nlohmann::json::array());
  if (!merges.is_array()) throw bad("'merges' must be a list");
  int64_t rank = 0;
  for (const auto& m : merges) {
    std::string left, right;
    if (m.is_string()) {  // "a b" (tokenizers < 0.20)
      const std::string s = m.get<std::string>();
      const size_t space = s.find(' ', 1);
      if (space == std::string::npos)
        throw bad(fmt::format("merge {} '{}' is not 'left right'", rank, s));
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() &&
               m[1].is_string()) {  // ["a", "b"]
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    } else {
      throw bad(
          fmt::format("merge {} is neither 'left right' nor [left, right]: {}", rank, m.dump()));
    }
    auto find = [&](const std::string& token) {
      auto it = vocab_.find(token);
      if (it == vocab_.end())
        throw bad(fmt::format("merge {} ('{}' '{}') names '{}', which is not in the vocab", rank,
                              left, right, token));
      return it->second;
    };
    const int64_t a = find(left), b = find(right);
    // With a continuing-subword prefix ("##"), "a" + "##b" merges into "ab".
    const std::string& prefix = continuing_subword_prefix_;
    const std::string joined =
        left +
        (!prefix.empty() && right.rfind(prefix, 0) == 0 ? right.substr(prefix.size()) : right);
    merges_.emplace(pair_key(a, b), std::make_pair(rank, find(joined)));
    ++rank;
  }
  if (model.contains("dropout") && !model["dropout"].is_null() &&
      !(model["dropout"].is_number() && model["dropout"].get<double>() == 0.0))
    throw bad("BPE dropout is not supported (amkd tokenizes deterministically)");
  const std::string unk = json_string(model, "unk_token", "", where);
  if (!unk.empty()) {
    auto it = vocab_.find(unk);
    if (it == vocab_.end()) throw bad(fmt::format("unk_token '{}' is not in the vocab", unk));
    unk_id_ = it->second;
  }
  for (int b = 0; b < 256; ++b) {
    auto it = vocab_.find(fmt::format("<0x{:02X}>", b));
    byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
  }
}

std::vector<int64_t> BpeModel::merge_word(std::string_view w) const {
  // Initial symbols: one per character (with prefix/suffix), as ids.
  std::vector<int64_t> ids;
  std::optional<int64_t> pending_unk;
  for (size_t i = 0; i < w.size();) {
    const size_t n = utf8::char_length(w, i);
    std::string s(w.substr(i, n));
    if (i > 0 && !continuing_subword_prefix_.empty()) s = continuing_subword_prefix_ + s;
    if (i + n == w.size() && !end_of_word_suffix_.empty()) s += end_of_word_suffix_;
    auto it = vocab_.find(s);
    if (it != vocab_.end()) {
      if (pending_unk) ids.push_back(*pending_unk);
      pending_unk.reset();
      ids.push_back(it->second);
    } else {
      bool done = false;
      if (byte_fallback_) {
        bool all = true;
        for (unsigned char c : s) all = all && byte_ids_[c] >= 0;
        if (all) {  // as tokenizers does: bytes go in without flushing a pending unknown
          for (unsigned char c : s) ids.push_back(byte_ids_[c]);
          done = true;
        }
      }
      if (!done && unk_id_) {
        if (pending_unk && !fuse_unk_) ids.push_back(*pending_unk);
        pending_unk = *unk_id_;
      }
    }
    i += n;
  }
  if (pending_unk) ids.push_back(*pending_unk);

  // Merge with a priority queue over (rank, position), skipping stale entries.
  struct Merge {
    int64_t rank, pos, new_id;
    bool operator<(const Merge& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  const int64_t n = static_cast<int64_t>(ids.size());
  std::vector<int64_t> prev(n), next(n);
  std::vector<bool> removed(n, false);
  for (int64_t i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  std::priority_queue<Merge> queue;
  auto push = [&](int64_t pos) {
    if (pos < 0 || next[pos] < 0) return;
    auto it = merges_.find(pair_key(ids[pos], ids[next[pos]]));
    if (it != merges_.end()) queue.push({it->second.first, pos, it->second.second});
  };
  for (int64_t i = 0; i + 1 < n; ++i) push(i);
  while (!queue.empty()) {
    const Merge top = queue.top();
    queue.pop();
    if (removed[top.pos] || next[top.pos] < 0) continue;
    const int64_t right = next[top.pos];
    auto it = merges_.find(pair_key(ids[top.pos], ids[right]));
    if (it == merges_.end() || it->second.second != top.new_id) continue;  // stale entry
    ids[top.pos] = top.new_id;
    removed[right] = true;
    next[top.pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = top.pos;
    push(prev[top.pos]);
    push(top.pos);
  }
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; ++i)
    if (!removed[i]) out.push_back(ids[i]);
  return out;
}

void BpeModel::tokenize(std::string_view word, std::vector<int64_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    auto it = vocab_.find(std::string(word));
    if (it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  if (word.size() >= kCacheMaxWord) {
    const std::vector<int64_t> ids = merge_word(word);
    out.insert(out.end(), ids.begin(), ids.end());
    return;
  }
  const std::string key(word);
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int64_t> ids = merge_word(word);
  out.insert(out.end(), ids.begin(), ids.end());
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (cache_.size() >= kCacheLimit) cache_.clear();
  cache_.emplace(key, std::move(ids));
}

}  // namespace amkd
