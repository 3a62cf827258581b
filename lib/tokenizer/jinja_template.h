#pragma once
// A Jinja2 renderer for the subset Hugging Face chat templates use, configured as transformers
// compiles them (trim_blocks and lstrip_blocks on, loop controls on, no autoescape, immutable
// lists and dicts). Supported: {{ }}, {% %}, {# #}, `-`/`+` whitespace control; if/elif/else,
// for (with `if` filter, else, loop.*, break/continue), set (names, namespace attributes, set
// blocks), generation blocks; literals, arithmetic, comparisons, and/or/not, in, is-tests,
// inline if, slicing, filters, string and dict methods, and the globals raise_exception,
// namespace, strftime_now, range and dict. Anything else is refused when parsing, with an
// InputError naming the construct and its line, rather than rendered differently.
#include <map>
#include <memory>
#include <string>

#include "tokenizer/jinja_value.h"

namespace amkd::jinja {

struct Node;

// Limits against hostile templates and inputs.
struct Limits {
  size_t max_source = 1 << 20;         // template characters
  int max_depth = 64;                  // nesting of blocks and of expressions
  size_t max_output = 16 << 20;        // rendered characters (and any string value)
  int64_t max_iterations = 1'000'000;  // loop iterations per render, all loops together
};

class Template {
 public:
  // Parses `source`; InputError "<where>: chat_template line N: ..." for syntax errors and
  // unsupported constructs.
  Template(const std::string& source, const std::string& where, Limits limits = {});
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  // Renders with the given variables; InputError "<where>: chat_template line N: ..." for
  // raise_exception() (its message) and errors at run time (undefined attributes, bad types).
  std::string render(const std::map<std::string, Value>& variables) const;

 private:
  std::string where_;
  Limits limits_;
  std::unique_ptr<Node> root_;
};

}  // namespace amkd::jinja
