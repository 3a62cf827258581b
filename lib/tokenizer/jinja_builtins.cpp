// Filters, tests, methods and global functions of amkd's Jinja subset, each with the behaviour
// of jinja2 3.1 / Python 3 as transformers' chat-template environment has them (tojson is
// transformers' json.dumps with ensure_ascii=False). Strings are UTF-8; lengths, indices and
// slices count code points as Python does.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <set>

#include <fmt/format.h>
#include <utf8proc.h>

#include "tokenizer/jinja_ast.h"
#include "tokenizer/utf8.h"

namespace amkd::jinja {
namespace {

const std::set<std::string> kFilters = {
    "abs",        "capitalize", "count",      "d",       "default", "first", "float",
    "int",        "items",      "join",       "last",    "length",  "list",  "lower",
    "map",        "reject",     "rejectattr", "replace", "reverse", "safe",  "select",
    "selectattr", "string",     "title",      "tojson",  "trim",    "upper"};
const std::set<std::string> kTests = {
    "boolean", "callable", "defined",  "divisibleby", "eq",   "equalto",   "even",
    "false",   "float",    "ge",       "gt",          "in",   "integer",   "iterable",
    "le",      "lower",    "lt",       "mapping",     "ne",   "none",      "number",
    "odd",     "sameas",   "sequence", "string",      "true", "undefined", "upper",
    "==",      "!=",       "<",        ">",           "<=",   ">="};
const std::set<std::string> kMethods = {
    "capitalize", "endswith", "find",  "get",        "items", "join",  "keys",  "lower", "lstrip",
    "replace",    "rstrip",   "split", "startswith", "strip", "title", "upper", "values"};
const std::set<std::string> kFunctions = {"dict", "namespace", "raise_exception", "range",
                                          "strftime_now"};

[[noreturn]] void fail(const std::string& what) {
  throw EvalError(what);
}

std::vector<char32_t> code_points(const std::string& s) {
  std::vector<char32_t> out;
  for (size_t k = 0; k < s.size(); k += utf8::char_length(s, k)) out.push_back(utf8::decode(s, k));
  return out;
}
std::string from_code_points(const std::vector<char32_t>& cps, size_t begin, size_t end) {
  std::string out;
  for (size_t k = begin; k < end; ++k) utf8::append(out, cps[k]);
  return out;
}

// Python's str.isspace code points.
bool py_space(char32_t c) {
  return (c >= 9 && c <= 13) || (c >= 28 && c <= 32) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

const std::string& need_string(const Value& v, const char* what) {
  if (v.kind != Kind::kString) fail(fmt::format("{} expects a string, got {}", what, type_name(v)));
  return v.s;
}

int64_t need_int(const Value& v, const char* what) {
  if (v.kind == Kind::kInt) return v.i;
  if (v.kind == Kind::kBool) return v.b;
  fail(fmt::format("{} expects an integer, got {}", what, type_name(v)));
}

// Positional-or-keyword parameters of a builtin; unknown keywords and extra positionals are
// errors, as in Python.
class Params {
 public:
  Params(const char* what, const CallArgs& call, std::vector<const char*> names)
      : call_(call), names_(std::move(names)) {
    if (call.args.size() > names_.size())
      fail(fmt::format("{}() takes at most {} argument{} ({} given)", what, names_.size(),
                       names_.size() == 1 ? "" : "s", call.args.size()));
    for (const auto& [key, value] : call.kwargs) {
      bool known = false;
      for (const char* n : names_) known = known || key == n;
      if (!known) fail(fmt::format("{}() got an unexpected keyword argument '{}'", what, key));
    }
  }
  const Value* get(size_t i) const {
    if (i < call_.args.size()) return &call_.args[i];
    for (const auto& [key, value] : call_.kwargs)
      if (key == names_[i]) return &value;
    return nullptr;
  }
  const Value* get_set(size_t i) const {  // absent or None: nullptr
    const Value* v = get(i);
    return v && v->kind != Kind::kNone ? v : nullptr;
  }

 private:
  const CallArgs& call_;
  std::vector<const char*> names_;
};

std::string strip(const std::string& s, const Value* chars, bool left, bool right) {
  const std::vector<char32_t> cps = code_points(s);
  std::vector<char32_t> set;
  if (chars) set = code_points(need_string(*chars, "strip"));
  auto drop = [&](char32_t c) {
    return chars ? std::find(set.begin(), set.end(), c) != set.end() : py_space(c);
  };
  size_t b = 0, e = cps.size();
  if (left)
    while (b < e && drop(cps[b])) ++b;
  if (right)
    while (e > b && drop(cps[e - 1])) --e;
  return from_code_points(cps, b, e);
}

std::string map_case(const std::string& s, utf8proc_int32_t (*f)(utf8proc_int32_t)) {
  std::string out;
  for (char32_t c : code_points(s))
    utf8::append(out, static_cast<char32_t>(f(static_cast<utf8proc_int32_t>(c))));
  return out;
}

std::string capitalize(const std::string& s) {
  const std::vector<char32_t> cps = code_points(s);
  if (cps.empty()) return "";
  std::string out;
  utf8::append(out, static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(cps[0]))));
  return out + map_case(from_code_points(cps, 1, cps.size()), utf8proc_tolower);
}

// Python's str.title(): a cased letter after a cased letter is lowered, any other is titled.
std::string py_title(const std::string& s) {
  std::string out;
  bool previous_cased = false;
  for (char32_t c : code_points(s)) {
    const auto u = static_cast<utf8proc_int32_t>(c);
    if (utf8proc_isupper(u) || utf8proc_islower(u)) {
      utf8::append(
          out, static_cast<char32_t>(previous_cased ? utf8proc_tolower(u) : utf8proc_totitle(u)));
      previous_cased = true;
    } else {
      utf8::append(out, c);
      previous_cased = false;
    }
  }
  return out;
}

// jinja2's title filter: words start after '-', whitespace, '(', '{', '[' or '<'.
std::string jinja_title(const std::string& s) {
  std::string out;
  bool word_start = true;
  for (char32_t c : code_points(s)) {
    const bool delimiter = c == '-' || py_space(c) || c == '(' || c == '{' || c == '[' || c == '<';
    const auto u = static_cast<utf8proc_int32_t>(c);
    if (delimiter) {
      utf8::append(out, c);
      word_start = true;
    } else {
      utf8::append(out,
                   static_cast<char32_t>(word_start ? utf8proc_toupper(u) : utf8proc_tolower(u)));
      word_start = false;
    }
  }
  return out;
}

std::string replace(const std::string& s, const std::string& from, const std::string& to,
                    int64_t count, const Limits& limits) {
  std::string out;
  int64_t done = 0;
  if (from.empty()) {  // Python inserts `to` around every code point
    const std::vector<char32_t> cps = code_points(s);
    for (size_t k = 0; k <= cps.size(); ++k) {
      if (count < 0 || done < count) {
        out += to;
        ++done;
      }
      if (k < cps.size()) utf8::append(out, cps[k]);
      if (out.size() > limits.max_output) break;
    }
    return bounded(std::move(out), limits);
  }
  size_t pos = 0;
  while (count < 0 || done < count) {
    const size_t at = s.find(from, pos);
    if (at == std::string::npos) break;
    out.append(s, pos, at - pos);
    out += to;
    pos = at + from.size();
    ++done;
    if (out.size() > limits.max_output) break;
  }
  out.append(s, pos, std::string::npos);
  return bounded(std::move(out), limits);
}

List split(const std::string& s, const Value* sep, int64_t maxsplit) {
  List out;
  if (!sep) {
    const std::vector<char32_t> cps = code_points(s);
    size_t k = 0;
    while (true) {
      while (k < cps.size() && py_space(cps[k])) ++k;
      if (k == cps.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
        out.push_back(Value::string(from_code_points(cps, k, cps.size())));
        break;
      }
      size_t e = k;
      while (e < cps.size() && !py_space(cps[e])) ++e;
      out.push_back(Value::string(from_code_points(cps, k, e)));
      k = e;
    }
    return out;
  }
  const std::string& d = need_string(*sep, "split");
  if (d.empty()) fail("split(): empty separator");
  size_t pos = 0;
  while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
    const size_t at = s.find(d, pos);
    if (at == std::string::npos) break;
    out.push_back(Value::string(s.substr(pos, at - pos)));
    pos = at + d.size();
  }
  out.push_back(Value::string(s.substr(pos)));
  return out;
}

int64_t length(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined:
      return 0;
    case Kind::kString:
      return static_cast<int64_t>(code_points(v.s).size());
    case Kind::kList:
      return static_cast<int64_t>(v.list->size());
    case Kind::kDict:
    case Kind::kNamespace:
      return static_cast<int64_t>(v.dict->size());
    default:
      fail(fmt::format("object of type '{}' has no len()", type_name(v)));
  }
}

// a.b.c attribute paths of selectattr/map.
Value attribute_path(const Value& item, const std::string& path) {
  Value v = item;
  size_t pos = 0;
  while (true) {
    const size_t dot = path.find('.', pos);
    const std::string part =
        path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    v = get_item(v, Value::string(part));
    if (dot == std::string::npos) return v;
    pos = dot + 1;
  }
}

// select/reject/selectattr/rejectattr: args after the test name are the test's arguments.
Value select(const Value& input, const CallArgs& call, bool by_attr, bool keep) {
  const char* what = by_attr ? (keep ? "selectattr" : "rejectattr") : (keep ? "select" : "reject");
  if (!call.kwargs.empty()) fail(fmt::format("{}() takes no keyword arguments", what));
  size_t next = 0;
  std::string attr;
  if (by_attr) {
    if (call.args.empty()) fail(fmt::format("{}() needs an attribute name", what));
    attr = need_string(call.args[next++], what);
  }
  std::string test;
  if (next < call.args.size()) test = need_string(call.args[next++], what);
  if (!test.empty() && !is_known_test(test)) fail(fmt::format("unsupported Jinja test '{}'", test));
  CallArgs test_args;
  test_args.args.assign(call.args.begin() + static_cast<std::ptrdiff_t>(next), call.args.end());
  List out;
  for (const Value& item : iterate(input)) {
    const Value subject = by_attr ? attribute_path(item, attr) : item;
    const bool pass = test.empty() ? truthy(subject) : apply_test(test, subject, test_args);
    if (pass == keep) out.push_back(item);
  }
  return Value::make_list(std::move(out));
}

Value to_int(const Value& v, const Value& fallback) {
  switch (v.kind) {
    case Kind::kInt:
      return v;
    case Kind::kBool:
      return Value::integer(v.b);
    case Kind::kFloat:
      if (!std::isfinite(v.f) || std::fabs(v.f) > 9.2e18) return fallback;
      return Value::integer(static_cast<int64_t>(v.f));
    case Kind::kString: {
      std::string t = strip(v.s, nullptr, true, true);
      std::string digits;
      for (char c : t)
        if (c != '_') digits += c;
      try {
        size_t used = 0;
        const long long x = std::stoll(digits, &used, 10);
        if (used == digits.size()) return Value::integer(x);
        const double d = std::stod(digits, &used);  // jinja2 falls back to int(float(value))
        if (used == digits.size() && std::isfinite(d) && std::fabs(d) < 9.2e18)
          return Value::integer(static_cast<int64_t>(d));
      } catch (const std::exception&) {
      }
      return fallback;
    }
    default:
      return fallback;
  }
}

Value to_float(const Value& v, const Value& fallback) {
  if (v.kind == Kind::kFloat) return v;
  if (v.kind == Kind::kInt || v.kind == Kind::kBool)
    return Value::number(v.kind == Kind::kInt ? static_cast<double>(v.i) : v.b);
  if (v.kind == Kind::kString) {
    const std::string t = strip(v.s, nullptr, true, true);
    try {
      size_t used = 0;
      const double d = std::stod(t, &used);
      if (used == t.size()) return Value::number(d);
    } catch (const std::exception&) {
    }
  }
  return fallback;
}

bool starts_or_ends(const std::string& s, const Value& affix, bool start, const char* what) {
  if (affix.kind == Kind::kList) {
    for (const Value& a : *affix.list)
      if (starts_or_ends(s, a, start, what)) return true;
    return false;
  }
  const std::string& a = need_string(affix, what);
  if (a.size() > s.size()) return false;
  return start ? s.compare(0, a.size(), a) == 0 : s.compare(s.size() - a.size(), a.size(), a) == 0;
}

}  // namespace

bool is_known_filter(const std::string& name) {
  return kFilters.count(name) > 0;
}
bool is_known_test(const std::string& name) {
  return kTests.count(name) > 0;
}
bool is_known_method(const std::string& name) {
  return kMethods.count(name) > 0;
}
bool is_known_function(const std::string& name) {
  return kFunctions.count(name) > 0;
}

std::string bounded(std::string s, const Limits& limits) {
  if (s.size() > limits.max_output)
    fail(fmt::format("a string grows beyond {} characters", limits.max_output));
  return s;
}

List iterate(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined:
      return {};
    case Kind::kList:
      return *v.list;
    case Kind::kDict: {
      List keys;
      for (const auto& kv : *v.dict) keys.push_back(Value::string(kv.first));
      return keys;
    }
    case Kind::kString: {
      List chars;
      for (char32_t c : code_points(v.s)) {
        std::string one;
        utf8::append(one, c);
        chars.push_back(Value::string(std::move(one)));
      }
      return chars;
    }
    default:
      fail(fmt::format("'{}' object is not iterable", type_name(v)));
  }
}

Value get_attr(const Value& object, const std::string& name) {
  if (object.is_undefined())
    fail(fmt::format("'{}' is undefined", object.s.empty() ? "value" : object.s));
  if (const Value* v = object.find(name)) return *v;
  return Value::undefined(name);
}

Value get_item(const Value& object, const Value& key) {
  if (object.is_undefined())
    fail(fmt::format("'{}' is undefined", object.s.empty() ? "value" : object.s));
  if (object.kind == Kind::kDict || object.kind == Kind::kNamespace) {
    if (key.kind == Kind::kString)
      if (const Value* v = object.find(key.s)) return *v;
    return Value::undefined(key.kind == Kind::kString ? key.s : to_str(key));
  }
  if ((object.kind == Kind::kList || object.kind == Kind::kString) &&
      (key.kind == Kind::kInt || key.kind == Kind::kBool)) {
    const int64_t index = key.kind == Kind::kInt ? key.i : key.b;
    if (object.kind == Kind::kList) {
      const auto n = static_cast<int64_t>(object.list->size());
      const int64_t at = index < 0 ? index + n : index;
      return at >= 0 && at < n ? (*object.list)[static_cast<size_t>(at)] : Value::undefined();
    }
    const std::vector<char32_t> cps = code_points(object.s);
    const auto n = static_cast<int64_t>(cps.size());
    const int64_t at = index < 0 ? index + n : index;
    if (at < 0 || at >= n) return Value::undefined();
    return Value::string(
        from_code_points(cps, static_cast<size_t>(at), static_cast<size_t>(at) + 1));
  }
  if (key.kind == Kind::kString) return get_attr(object, key.s);
  return Value::undefined();
}

Value apply_filter(const std::string& name, const Value& input, const CallArgs& call,
                   const Limits& limits) {
  const char* n = name.c_str();
  if (name == "trim") {
    Params p(n, call, {"chars"});
    return Value::string(strip(to_str(input), p.get_set(0), true, true));
  }
  if (name == "length" || name == "count") {
    Params p(n, call, {});
    return Value::integer(length(input));
  }
  if (name == "upper" || name == "lower") {
    Params p(n, call, {});
    return Value::string(
        map_case(to_str(input), name == "upper" ? utf8proc_toupper : utf8proc_tolower));
  }
  if (name == "capitalize") {
    Params p(n, call, {});
    return Value::string(capitalize(to_str(input)));
  }
  if (name == "title") {
    Params p(n, call, {});
    return Value::string(jinja_title(to_str(input)));
  }
  if (name == "string") {
    Params p(n, call, {});
    return Value::string(to_str(input));
  }
  if (name == "safe") {
    Params p(n, call, {});
    return input;
  }
  if (name == "tojson") {
    Params p(n, call, {"ensure_ascii", "indent", "separators", "sort_keys"});
    if ((p.get(0) && truthy(*p.get(0))) || p.get_set(2) || (p.get(3) && truthy(*p.get(3))))
      fail("tojson: only the indent argument is supported");
    const Value* indent = p.get_set(1);
    return Value::string(bounded(to_json(input, indent ? static_cast<int>(std::clamp<int64_t>(
                                                             need_int(*indent, "tojson"), 0, 64))
                                                       : -1),
                                 limits));
  }
  if (name == "default" || name == "d") {
    Params p(n, call, {"default_value", "boolean"});
    const bool boolean = p.get(1) && truthy(*p.get(1));
    if (input.is_undefined() || (boolean && !truthy(input)))
      return p.get(0) ? *p.get(0) : Value::string("");
    return input;
  }
  if (name == "first" || name == "last") {
    Params p(n, call, {});
    const List items = iterate(input);
    if (items.empty()) return Value::undefined();
    return name == "first" ? items.front() : items.back();
  }
  if (name == "join") {
    Params p(n, call, {"d", "attribute"});
    const std::string sep = p.get(0) ? to_str(*p.get(0)) : "";
    const Value* attr = p.get_set(1);
    std::string out;
    bool first = true;
    for (const Value& item : iterate(input)) {
      if (!first) out += sep;
      first = false;
      out += to_str(attr ? attribute_path(item, to_str(*attr)) : item);
      if (out.size() > limits.max_output) break;
    }
    return Value::string(bounded(std::move(out), limits));
  }
  if (name == "replace") {
    Params p(n, call, {"old", "new", "count"});
    if (!p.get(0) || !p.get(1)) fail("replace() needs the old and the new text");
    const Value* count = p.get_set(2);
    return Value::string(replace(to_str(input), to_str(*p.get(0)), to_str(*p.get(1)),
                                 count ? need_int(*count, "replace") : -1, limits));
  }
  if (name == "list") {
    Params p(n, call, {});
    return Value::make_list(iterate(input));
  }
  if (name == "reverse") {
    Params p(n, call, {});
    if (input.kind == Kind::kString) {
      std::vector<char32_t> cps = code_points(input.s);
      std::reverse(cps.begin(), cps.end());
      return Value::string(from_code_points(cps, 0, cps.size()));
    }
    List items = iterate(input);
    std::reverse(items.begin(), items.end());
    return Value::make_list(std::move(items));
  }
  if (name == "items") {
    Params p(n, call, {});
    if (input.is_undefined()) return Value::make_list({});
    if (input.kind != Kind::kDict)
      fail(fmt::format("items expects a mapping, got {}", type_name(input)));
    List out;
    for (const auto& [k, v] : *input.dict) out.push_back(Value::make_tuple({Value::string(k), v}));
    return Value::make_list(std::move(out));
  }
  if (name == "selectattr" || name == "rejectattr")
    return select(input, call, true, name == "selectattr");
  if (name == "select" || name == "reject") return select(input, call, false, name == "select");
  if (name == "map") {
    List out;
    const Value* attribute = nullptr;
    const Value* fallback = nullptr;
    for (const auto& [k, v] : call.kwargs) {
      if (k == "attribute")
        attribute = &v;
      else if (k == "default")
        fallback = &v;
      else
        fail(fmt::format("map() got an unexpected keyword argument '{}'", k));
    }
    if (attribute) {
      if (!call.args.empty()) fail("map(attribute=...) takes no positional arguments");
      for (const Value& item : iterate(input)) {
        Value v = attribute_path(item, to_str(*attribute));
        out.push_back(v.is_undefined() && fallback ? *fallback : v);
      }
      return Value::make_list(std::move(out));
    }
    if (call.args.empty()) fail("map() needs a filter name or attribute=");
    const std::string filter = need_string(call.args[0], "map");
    if (!is_known_filter(filter) || filter == "map")
      fail(fmt::format("unsupported Jinja filter '{}'", filter));
    CallArgs rest;
    rest.args.assign(call.args.begin() + 1, call.args.end());
    for (const Value& item : iterate(input))
      out.push_back(apply_filter(filter, item, rest, limits));
    return Value::make_list(std::move(out));
  }
  if (name == "int") {
    Params p(n, call, {"default"});
    return to_int(input, p.get(0) ? *p.get(0) : Value::integer(0));
  }
  if (name == "float") {
    Params p(n, call, {"default"});
    return to_float(input, p.get(0) ? *p.get(0) : Value::number(0.0));
  }
  if (name == "abs") {
    Params p(n, call, {});
    if (input.kind == Kind::kFloat) return Value::number(std::fabs(input.f));
    const int64_t x = need_int(input, "abs");
    if (x == INT64_MIN) fail("integer overflow");
    return Value::integer(x < 0 ? -x : x);
  }
  fail(fmt::format("unsupported Jinja filter '{}'", name));
}

bool apply_test(const std::string& name, const Value& v, const CallArgs& call) {
  const char* n = name.c_str();
  auto arg = [&]() -> const Value& {
    Params p(n, call, {"other"});
    if (!p.get(0)) fail(fmt::format("test '{}' needs an argument", name));
    return *p.get(0);
  };
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.kind == Kind::kNone;
  if (name == "string") return v.kind == Kind::kString;
  if (name == "boolean") return v.kind == Kind::kBool;
  if (name == "true") return v.kind == Kind::kBool && v.b;
  if (name == "false") return v.kind == Kind::kBool && !v.b;
  if (name == "number") return v.is_numeric();
  if (name == "integer") return v.kind == Kind::kInt;
  if (name == "float") return v.kind == Kind::kFloat;
  if (name == "mapping") return v.kind == Kind::kDict;
  if (name == "iterable")
    return v.kind == Kind::kList || v.kind == Kind::kDict || v.kind == Kind::kString ||
           v.kind == Kind::kUndefined;
  if (name == "sequence")
    return v.kind == Kind::kList || v.kind == Kind::kDict || v.kind == Kind::kString;
  if (name == "callable") return v.kind == Kind::kFunction;
  if (name == "lower") return v.kind == Kind::kString && map_case(v.s, utf8proc_tolower) == v.s;
  if (name == "upper") return v.kind == Kind::kString && map_case(v.s, utf8proc_toupper) == v.s;
  if (name == "even" || name == "odd") {
    const int64_t x = need_int(v, n);
    return (x % 2 == 0) == (name == "even");
  }
  if (name == "divisibleby") {
    const int64_t d = need_int(arg(), n);
    if (d == 0) fail("integer division or modulo by zero");
    return need_int(v, n) % d == 0;
  }
  if (name == "eq" || name == "equalto" || name == "==") return equal(v, arg());
  if (name == "ne" || name == "!=") return !equal(v, arg());
  if (name == "lt" || name == "<") return less(v, arg());
  if (name == "gt" || name == ">") return less(arg(), v);
  if (name == "le" || name == "<=") return !less(arg(), v);
  if (name == "ge" || name == ">=") return !less(v, arg());
  if (name == "sameas") {
    const Value& o = arg();
    if (v.kind == Kind::kNone || v.kind == Kind::kBool || o.kind == Kind::kNone ||
        o.kind == Kind::kBool)
      return v.kind == o.kind && (v.kind == Kind::kNone || v.b == o.b);
    if (v.kind == Kind::kNamespace) return v.dict == o.dict;
    fail("test 'sameas' is supported for none, booleans and namespaces only");
  }
  if (name == "in") {
    const Value& container = arg();
    if (container.kind == Kind::kString)
      return container.s.find(need_string(v, "in")) != std::string::npos;
    for (const Value& item : iterate(container))
      if (equal(item, v)) return true;
    return false;
  }
  fail(fmt::format("unsupported Jinja test '{}'", name));
}

Value call_method(const std::string& name, const Value& object, const CallArgs& call,
                  const Limits& limits) {
  const char* n = name.c_str();
  if (object.is_undefined())
    fail(fmt::format("'{}' is undefined", object.s.empty() ? "value" : object.s));
  if (object.kind == Kind::kDict) {
    if (name == "items" || name == "keys" || name == "values") {
      Params p(n, call, {});
      List out;
      for (const auto& [k, v] : *object.dict)
        out.push_back(name == "items"  ? Value::make_tuple({Value::string(k), v})
                      : name == "keys" ? Value::string(k)
                                       : v);
      return Value::make_list(std::move(out));
    }
    if (name == "get") {
      Params p(n, call, {"key", "default"});
      if (!p.get(0)) fail("get() needs a key");
      const Value* v = p.get(0)->kind == Kind::kString ? object.find(p.get(0)->s) : nullptr;
      return v ? *v : p.get(1) ? *p.get(1) : Value::none();
    }
  }
  if (object.kind == Kind::kString) {
    const std::string& s = object.s;
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
      Params p(n, call, {"chars"});
      return Value::string(strip(s, p.get_set(0), name != "rstrip", name != "lstrip"));
    }
    if (name == "startswith" || name == "endswith") {
      Params p(n, call, {"prefix"});
      if (!p.get(0)) fail(fmt::format("{}() needs an argument", name));
      return Value::boolean(starts_or_ends(s, *p.get(0), name == "startswith", n));
    }
    if (name == "split") {
      Params p(n, call, {"sep", "maxsplit"});
      const Value* maxsplit = p.get(1);
      return Value::make_list(split(s, p.get_set(0), maxsplit ? need_int(*maxsplit, "split") : -1));
    }
    if (name == "upper" || name == "lower") {
      Params p(n, call, {});
      return Value::string(map_case(s, name == "upper" ? utf8proc_toupper : utf8proc_tolower));
    }
    if (name == "title") {
      Params p(n, call, {});
      return Value::string(py_title(s));
    }
    if (name == "capitalize") {
      Params p(n, call, {});
      return Value::string(capitalize(s));
    }
    if (name == "replace") {
      Params p(n, call, {"old", "new", "count"});
      if (!p.get(0) || !p.get(1)) fail("replace() needs the old and the new text");
      const Value* count = p.get(2);
      return Value::string(replace(s, need_string(*p.get(0), n), need_string(*p.get(1), n),
                                   count ? need_int(*count, n) : -1, limits));
    }
    if (name == "find") {
      Params p(n, call, {"sub"});
      if (!p.get(0)) fail("find() needs an argument");
      const size_t at = s.find(need_string(*p.get(0), n));
      if (at == std::string::npos) return Value::integer(-1);
      return Value::integer(static_cast<int64_t>(code_points(s.substr(0, at)).size()));
    }
    if (name == "join") {
      Params p(n, call, {"iterable"});
      if (!p.get(0)) fail("join() needs an argument");
      std::string out;
      bool first = true;
      for (const Value& item : iterate(*p.get(0))) {
        if (!first) out += s;
        first = false;
        out += need_string(item, "join");
        if (out.size() > limits.max_output) break;
      }
      return Value::string(bounded(std::move(out), limits));
    }
  }
  fail(fmt::format("'{}' object has no attribute '{}'", type_name(object), name));
}

Value call_function(const std::string& name, const CallArgs& call, const Limits& limits) {
  if (name == "raise_exception") {
    Params p("raise_exception", call, {"message"});
    fail(p.get(0) ? to_str(*p.get(0)) : "raise_exception() called");
  }
  if (name == "namespace" || name == "dict") {
    Dict items;
    if (call.args.size() > 1) fail(fmt::format("{}() takes at most one positional argument", name));
    if (!call.args.empty()) {
      if (call.args[0].kind != Kind::kDict && call.args[0].kind != Kind::kNamespace)
        fail(fmt::format("{}() takes a mapping as its positional argument", name));
      items = *call.args[0].dict;
    }
    for (const auto& [k, v] : call.kwargs) {
      bool replaced = false;
      for (auto& item : items)
        if (item.first == k) {
          item.second = v;
          replaced = true;
        }
      if (!replaced) items.emplace_back(k, v);
    }
    return name == "dict" ? Value::make_dict(std::move(items))
                          : Value::make_namespace(std::move(items));
  }
  if (name == "strftime_now") {
    Params p("strftime_now", call, {"format"});
    if (!p.get(0)) fail("strftime_now() needs a format");
    const std::string& format = need_string(*p.get(0), "strftime_now");
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char buf[512];
    const size_t written = std::strftime(buf, sizeof buf, format.c_str(), &local);
    if (written == 0 && !format.empty()) fail("strftime_now(): the formatted date is too long");
    return Value::string(std::string(buf, written));
  }
  if (name == "range") {
    if (!call.kwargs.empty()) fail("range() takes no keyword arguments");
    if (call.args.empty() || call.args.size() > 3) fail("range() takes 1 to 3 arguments");
    int64_t start = 0, stop = 0, step = 1;
    if (call.args.size() == 1) {
      stop = need_int(call.args[0], "range");
    } else {
      start = need_int(call.args[0], "range");
      stop = need_int(call.args[1], "range");
      if (call.args.size() == 3) step = need_int(call.args[2], "range");
    }
    if (step == 0) fail("range() arg 3 must not be zero");
    List out;
    for (int64_t x = start; step > 0 ? x < stop : x > stop; x += step) {
      if (static_cast<int64_t>(out.size()) >= limits.max_iterations)
        fail(fmt::format("range() is longer than {} items", limits.max_iterations));
      out.push_back(Value::integer(x));
      if ((step > 0 && x > INT64_MAX - step) || (step < 0 && x < INT64_MIN - step)) break;
    }
    return Value::make_list(std::move(out));
  }
  fail(fmt::format("unsupported Jinja function '{}()'", name));
}

}  // namespace amkd::jinja
