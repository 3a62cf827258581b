#pragma once
// Values of amkd's Jinja subset (lib/tokenizer/jinja_template.h), with the Python semantics
// Hugging Face chat templates rely on: truthiness, str() and repr(), ==, ordering, and
// json.dumps for `tojson`. Lists and dicts are immutable once built (transformers renders in an
// immutable sandbox); only namespace() objects change, by reference, through `{% set ns.x %}`.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace amkd::jinja {

// An error evaluating values (a type error, an undefined attribute); the renderer adds the
// template line and turns it into an InputError.
class EvalError : public std::runtime_error {
 public:
  explicit EvalError(const std::string& message) : std::runtime_error(message) {}
};

struct Value;
using List = std::vector<Value>;
// Insertion-ordered string-keyed dict (JSON objects and Jinja dict literals).
using Dict = std::vector<std::pair<std::string, Value>>;

enum class Kind {
  kUndefined,
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kList,
  kDict,
  kNamespace,
  kFunction
};

struct Value {
  Kind kind = Kind::kUndefined;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  bool tuple = false;                // a kList that Python would hold as a tuple (repr "(a, b)")
  std::string s;                     // string; function name; the name of an undefined variable
  std::shared_ptr<const List> list;  // kList
  std::shared_ptr<Dict> dict;        // kDict (never changed after construction), kNamespace

  static Value undefined(std::string name = "") {
    Value v;
    v.s = std::move(name);
    return v;
  }
  static Value none() { return with_kind(Kind::kNone); }
  static Value boolean(bool x) {
    Value v = with_kind(Kind::kBool);
    v.b = x;
    return v;
  }
  static Value integer(int64_t x) {
    Value v = with_kind(Kind::kInt);
    v.i = x;
    return v;
  }
  static Value number(double x) {
    Value v = with_kind(Kind::kFloat);
    v.f = x;
    return v;
  }
  static Value string(std::string x) {
    Value v = with_kind(Kind::kString);
    v.s = std::move(x);
    return v;
  }
  static Value make_list(List items) {
    Value v = with_kind(Kind::kList);
    v.list = std::make_shared<const List>(std::move(items));
    return v;
  }
  static Value make_tuple(List items) {
    Value v = make_list(std::move(items));
    v.tuple = true;
    return v;
  }
  static Value make_dict(Dict items) {
    Value v = with_kind(Kind::kDict);
    v.dict = std::make_shared<Dict>(std::move(items));
    return v;
  }
  static Value make_namespace(Dict items) {
    Value v = make_dict(std::move(items));
    v.kind = Kind::kNamespace;
    return v;
  }
  static Value function(std::string name) {
    Value v = with_kind(Kind::kFunction);
    v.s = std::move(name);
    return v;
  }

  bool is_undefined() const { return kind == Kind::kUndefined; }
  bool is_numeric() const {
    return kind == Kind::kBool || kind == Kind::kInt || kind == Kind::kFloat;
  }
  // The value under `key` of a dict or namespace; nullptr when absent or not a mapping.
  const Value* find(const std::string& key) const;

 private:
  static Value with_kind(Kind k) {
    Value v;
    v.kind = k;
    return v;
  }
};

// JSON (chat messages, tools) as values: objects become dicts, arrays lists.
Value from_json(const nlohmann::json& j);
// Python's type name, for error messages ("str", "int", "list", "dict", "NoneType", ...).
std::string type_name(const Value& v);
bool truthy(const Value& v);
// str(v): what {{ v }} renders (an undefined value renders as "").
std::string to_str(const Value& v);
std::string repr(const Value& v);
// json.dumps(v, ensure_ascii=False, indent=indent) as transformers' tojson calls it; indent < 0:
// none. EvalError for values JSON cannot hold (undefined, namespaces, functions).
std::string to_json(const Value& v, int indent = -1);
// Python ==, and <, which is an EvalError for types Python cannot order.
bool equal(const Value& a, const Value& b);
bool less(const Value& a, const Value& b);
// Python's float repr (shortest round-trip digits: 2.0, 0.1, 1e-05, 1e+16).
std::string float_repr(double x);

}  // namespace amkd::jinja
