// Evaluates the syntax tree of jinja_parser.cpp. Scoping follows jinja2: a for loop has its own
// scope (what a loop body sets is gone after the loop, hence namespace()), if blocks do not;
// and/or return an operand, as in Python; an inline if without else gives undefined.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "common/errors.h"
#include "tokenizer/jinja_ast.h"
#include "tokenizer/utf8.h"

namespace amkd::jinja {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw EvalError(what);
}

// A failure at a template line: raised once, passed through by the enclosing nodes.
class LocatedError : public InputError {
 public:
  using InputError::InputError;
};

std::string undefined_name(const Value& v) {
  return v.s.empty() ? "value" : v.s;
}

void no_undefined(const Value& a, const Value& b) {
  if (a.is_undefined()) fail(fmt::format("'{}' is undefined", undefined_name(a)));
  if (b.is_undefined()) fail(fmt::format("'{}' is undefined", undefined_name(b)));
}

int64_t as_int(const Value& v) {
  return v.kind == Kind::kBool ? v.b : v.i;
}
double as_double(const Value& v) {
  return v.kind == Kind::kFloat ? v.f : static_cast<double>(as_int(v));
}

// a op b with Python's unbounded ints cut to 64 bits: overflow is an error, never a wrap.
int64_t checked_int(bool (*op)(int64_t, int64_t, int64_t*), int64_t a, int64_t b) {
  int64_t r = 0;
  if (op(a, b, &r)) fail("integer overflow");
  return r;
}
bool add(int64_t a, int64_t b, int64_t* r) {
  return __builtin_add_overflow(a, b, r);
}
bool sub(int64_t a, int64_t b, int64_t* r) {
  return __builtin_sub_overflow(a, b, r);
}
bool mul(int64_t a, int64_t b, int64_t* r) {
  return __builtin_mul_overflow(a, b, r);
}

// Python's floor division and modulo.
int64_t floor_div(int64_t a, int64_t b) {
  if (b == 0) fail("integer division or modulo by zero");
  if (a == INT64_MIN && b == -1) fail("integer overflow");
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
int64_t floor_mod(int64_t a, int64_t b) {
  if (b == 0) fail("integer division or modulo by zero");
  if (b == -1) return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

std::string repeat(const std::string& s, int64_t times, const Limits& limits) {
  if (times <= 0 || s.empty()) return "";
  if (static_cast<double>(s.size()) * static_cast<double>(times) >
      static_cast<double>(limits.max_output))
    fail(fmt::format("a string grows beyond {} characters", limits.max_output));
  std::string out;
  out.reserve(s.size() * static_cast<size_t>(times));
  for (int64_t k = 0; k < times; ++k) out += s;
  return out;
}

Value arithmetic(const std::string& op, const Value& a, const Value& b, const Limits& limits) {
  if (op == "~") return Value::string(bounded(to_str(a) + to_str(b), limits));
  no_undefined(a, b);
  const auto unsupported = [&]() {
    fail(fmt::format("unsupported operand type(s) for {}: '{}' and '{}'", op, type_name(a),
                     type_name(b)));
  };
  if (op == "+") {
    if (a.kind == Kind::kString && b.kind == Kind::kString)
      return Value::string(bounded(a.s + b.s, limits));
    if (a.kind == Kind::kList && b.kind == Kind::kList) {
      List out = *a.list;
      out.insert(out.end(), b.list->begin(), b.list->end());
      if (static_cast<int64_t>(out.size()) > limits.max_iterations) fail("a list grows too long");
      return Value::make_list(std::move(out));
    }
  }
  if (op == "*") {
    const Value* seq = a.kind == Kind::kString || a.kind == Kind::kList ? &a : &b;
    const Value* times = seq == &a ? &b : &a;
    if ((seq->kind == Kind::kString || seq->kind == Kind::kList) &&
        (times->kind == Kind::kInt || times->kind == Kind::kBool)) {
      if (seq->kind == Kind::kString) return Value::string(repeat(seq->s, as_int(*times), limits));
      List out;
      const int64_t n = as_int(*times);
      if (n > 0 && static_cast<double>(seq->list->size()) * static_cast<double>(n) >
                       static_cast<double>(limits.max_iterations))
        fail("a list grows too long");
      for (int64_t k = 0; k < n; ++k) out.insert(out.end(), seq->list->begin(), seq->list->end());
      return Value::make_list(std::move(out));
    }
  }
  if (op == "%" && a.kind == Kind::kString)
    fail("unsupported Jinja construct 'string formatting with %'");
  if (!a.is_numeric() || !b.is_numeric()) unsupported();
  const bool floats = a.kind == Kind::kFloat || b.kind == Kind::kFloat;
  if (op == "/") {
    if (as_double(b) == 0) fail("division by zero");
    return Value::number(as_double(a) / as_double(b));
  }
  if (floats) {
    const double x = as_double(a), y = as_double(b);
    if (op == "+") return Value::number(x + y);
    if (op == "-") return Value::number(x - y);
    if (op == "*") return Value::number(x * y);
    if (op == "**") return Value::number(std::pow(x, y));
    if (y == 0) fail("float division by zero");
    if (op == "//") return Value::number(std::floor(x / y));
    if (op == "%") {
      double r = std::fmod(x, y);
      if (r != 0 && ((r < 0) != (y < 0))) r += y;
      return Value::number(r);
    }
  }
  const int64_t x = as_int(a), y = as_int(b);
  if (op == "+") return Value::integer(checked_int(add, x, y));
  if (op == "-") return Value::integer(checked_int(sub, x, y));
  if (op == "*") return Value::integer(checked_int(mul, x, y));
  if (op == "//") return Value::integer(floor_div(x, y));
  if (op == "%") return Value::integer(floor_mod(x, y));
  if (op == "**") {
    if (y < 0) return Value::number(std::pow(static_cast<double>(x), static_cast<double>(y)));
    int64_t result = 1;
    for (int64_t k = 0; k < y; ++k) {
      if (__builtin_mul_overflow(result, x, &result)) fail("integer overflow");
      if (result == 0 || result == 1) break;
    }
    return Value::integer(result);
  }
  fail(fmt::format("unsupported operand {}", op));
}

Value slice(const Value& object, const Value* start, const Value* stop, const Value* step) {
  if (object.is_undefined()) fail(fmt::format("'{}' is undefined", undefined_name(object)));
  auto bound = [](const Value* v, const char* what) -> std::optional<int64_t> {
    if (!v || v->kind == Kind::kNone) return std::nullopt;
    if (v->kind != Kind::kInt && v->kind != Kind::kBool)
      fail(fmt::format("slice {} must be an integer or none", what));
    return as_int(*v);
  };
  const int64_t s = bound(step, "step").value_or(1);
  if (s == 0) fail("slice step cannot be zero");
  List items;
  if (object.kind == Kind::kList || object.kind == Kind::kString)
    items = iterate(object);
  else
    fail(fmt::format("'{}' object is not subscriptable", type_name(object)));
  const auto n = static_cast<int64_t>(items.size());
  auto clamp = [&](std::optional<int64_t> v, int64_t fallback) {
    if (!v) return fallback;
    int64_t x = *v < 0 ? *v + n : *v;
    if (s > 0) return std::clamp<int64_t>(x, 0, n);
    return std::clamp<int64_t>(x, -1, n - 1);
  };
  const int64_t b = clamp(bound(start, "start"), s > 0 ? 0 : n - 1);
  const int64_t e = clamp(bound(stop, "stop"), s > 0 ? n : -1);
  List out;
  for (int64_t k = b; s > 0 ? k < e : k > e; k += s) out.push_back(items[static_cast<size_t>(k)]);
  if (object.kind == Kind::kList) return Value::make_list(std::move(out));
  std::string text;
  for (const Value& c : out) text += c.s;
  return Value::string(std::move(text));
}

bool contains(const Value& container, const Value& item) {
  if (container.kind == Kind::kString) {
    if (item.kind != Kind::kString)
      fail(fmt::format("'in <string>' requires string as left operand, not {}", type_name(item)));
    return container.s.find(item.s) != std::string::npos;
  }
  if (container.kind == Kind::kDict || container.kind == Kind::kNamespace)
    return item.kind == Kind::kString && container.find(item.s) != nullptr;
  if (container.kind == Kind::kList || container.is_undefined()) {
    for (const Value& v : iterate(container))
      if (equal(v, item)) return true;
    return false;
  }
  fail(fmt::format("argument of type '{}' is not iterable", type_name(container)));
}

class Renderer {
 public:
  Renderer(const std::string& where, const Limits& limits, const std::map<std::string, Value>& vars)
      : where_(where), limits_(limits) {
    scopes_.emplace_back();
    for (const char* f : {"raise_exception", "namespace", "strftime_now", "range", "dict"})
      scopes_[0][f] = Value::function(f);
    for (const auto& [k, v] : vars) scopes_[0][k] = v;
  }

  enum class Flow { kNormal, kBreak, kContinue };

  Flow exec(const Node& node, std::string& out) {
    try {
      return exec_node(node, out);
    } catch (const EvalError& e) {
      throw LocatedError(fmt::format("{}: chat_template line {}: {}", where_, node.line, e.what()));
    }
  }

 private:
  const std::string& where_;
  const Limits& limits_;
  std::vector<std::map<std::string, Value>> scopes_;
  int64_t iterations_ = 0;

  void emit(std::string& out, const std::string& text) {
    if (out.size() + text.size() > limits_.max_output)
      fail(fmt::format("the rendered text grows beyond {} characters", limits_.max_output));
    out += text;
  }

  Value lookup(const std::string& name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto found = it->find(name);
      if (found != it->end()) return found->second;
    }
    return Value::undefined(name);
  }

  Flow exec_node(const Node& node, std::string& out) {
    switch (node.type) {
      case Node::kBody:
        for (const auto& child : node.children) {
          const Flow f = exec(*child, out);
          if (f != Flow::kNormal) return f;
        }
        return Flow::kNormal;
      case Node::kText:
        emit(out, node.text);
        return Flow::kNormal;
      case Node::kOutput:
        emit(out, to_str(eval(*node.expr)));
        return Flow::kNormal;
      case Node::kIf:
        for (size_t k = 0; k < node.conditions.size(); ++k)
          if (truthy(eval(*node.conditions[k]))) return exec(*node.bodies[k], out);
        if (node.bodies.size() > node.conditions.size()) return exec(*node.bodies.back(), out);
        return Flow::kNormal;
      case Node::kFor:
        exec_for(node, out);
        return Flow::kNormal;
      case Node::kSet:
        assign(node, eval(*node.expr));
        return Flow::kNormal;
      case Node::kSetBlock: {
        std::string captured;
        exec(*node.bodies[0], captured);
        assign(node, Value::string(std::move(captured)));
        return Flow::kNormal;
      }
      case Node::kBreak:
        return Flow::kBreak;
      case Node::kContinue:
        return Flow::kContinue;
    }
    return Flow::kNormal;
  }

  void assign(const Node& node, Value value) {
    if (node.attr.empty()) {
      scopes_.back()[node.targets[0]] = std::move(value);
      return;
    }
    const Value ns = lookup(node.targets[0]);
    if (ns.kind != Kind::kNamespace)
      fail(fmt::format("cannot assign attribute on non-namespace object '{}'", node.targets[0]));
    for (auto& item : *ns.dict)
      if (item.first == node.attr) {
        item.second = std::move(value);
        return;
      }
    ns.dict->emplace_back(node.attr, std::move(value));
  }

  void bind_targets(const Node& node, const Value& item) {
    auto& scope = scopes_.back();
    if (node.targets.size() == 1) {
      scope[node.targets[0]] = item;
      return;
    }
    const List parts = iterate(item);
    if (parts.size() != node.targets.size())
      fail(fmt::format("cannot unpack {} values into {} loop variables", parts.size(),
                       node.targets.size()));
    for (size_t k = 0; k < parts.size(); ++k) scope[node.targets[k]] = parts[k];
  }

  // jinja2 runs each iteration in a scope of its own: what the body sets is gone at the next
  // iteration (which reads the outer value again) and after the loop.
  void exec_for(const Node& node, std::string& out) {
    const List all = iterate(eval(*node.expr));
    struct Scope {
      std::vector<std::map<std::string, Value>>& s;
      explicit Scope(std::vector<std::map<std::string, Value>>& scopes) : s(scopes) {
        s.emplace_back();
      }
      ~Scope() { s.pop_back(); }
    };
    List items;
    if (node.filter) {
      for (const Value& item : all) {
        count_iteration();
        Scope scope(scopes_);
        bind_targets(node, item);
        if (truthy(eval(*node.filter))) items.push_back(item);
      }
    } else {
      items = all;
    }
    const auto n = static_cast<int64_t>(items.size());
    for (int64_t k = 0; k < n; ++k) {
      count_iteration();
      Scope scope(scopes_);
      const Value& item = items[static_cast<size_t>(k)];
      bind_targets(node, item);
      scopes_.back()["loop"] = Value::make_dict({
          {"index", Value::integer(k + 1)},
          {"index0", Value::integer(k)},
          {"revindex", Value::integer(n - k)},
          {"revindex0", Value::integer(n - k - 1)},
          {"first", Value::boolean(k == 0)},
          {"last", Value::boolean(k == n - 1)},
          {"length", Value::integer(n)},
          {"depth", Value::integer(1)},
          {"depth0", Value::integer(0)},
          {"previtem", k > 0 ? items[static_cast<size_t>(k - 1)] : Value::undefined("previtem")},
          {"nextitem",
           k + 1 < n ? items[static_cast<size_t>(k + 1)] : Value::undefined("nextitem")},
      });
      if (exec(*node.bodies[0], out) == Flow::kBreak) break;
    }
    if (n == 0 && node.bodies.size() > 1) exec(*node.bodies[1], out);
  }

  void count_iteration() {
    if (++iterations_ > limits_.max_iterations)
      fail(fmt::format("loops run more than {} iterations", limits_.max_iterations));
  }

  CallArgs call_args(const Expr& e, size_t skip) {
    CallArgs c;
    for (size_t k = skip; k < e.args.size(); ++k) c.args.push_back(eval(*e.args[k]));
    for (const auto& [key, value] : e.kwargs) c.kwargs.emplace_back(key, eval(*value));
    return c;
  }

  Value eval(const Expr& e) {
    try {
      return eval_expr(e);
    } catch (const EvalError& err) {
      throw LocatedError(fmt::format("{}: chat_template line {}: {}", where_, e.line, err.what()));
    }
  }

  Value eval_expr(const Expr& e) {
    switch (e.type) {
      case Expr::kConst:
        return e.value;
      case Expr::kName:
        return lookup(e.name);
      case Expr::kAttr:
        return get_attr(eval(*e.args[0]), e.name);
      case Expr::kItem:
        return get_item(eval(*e.args[0]), eval(*e.args[1]));
      case Expr::kSlice: {
        const Value object = eval(*e.args[0]);
        Value parts[3];
        for (int k = 0; k < 3; ++k)
          if (e.args[k + 1]) parts[k] = eval(*e.args[k + 1]);
        return slice(object, e.args[1] ? &parts[0] : nullptr, e.args[2] ? &parts[1] : nullptr,
                     e.args[3] ? &parts[2] : nullptr);
      }
      case Expr::kCall:
        if (e.value.kind == Kind::kFunction) {
          const Value callee = lookup(e.value.s);
          if (callee.kind != Kind::kFunction) fail(fmt::format("'{}' is not callable", e.value.s));
          return call_function(callee.s, call_args(e, 0), limits_);
        } else {
          const Value object = eval(*e.args[0]);
          return call_method(e.name, object, call_args(e, 1), limits_);
        }
      case Expr::kFilter: {
        const Value input = eval(*e.args[0]);
        return apply_filter(e.name, input, call_args(e, 1), limits_);
      }
      case Expr::kTest: {
        const Value input = eval(*e.args[0]);
        return Value::boolean(apply_test(e.name, input, call_args(e, 1)) != e.negated);
      }
      case Expr::kNot:
        return Value::boolean(!truthy(eval(*e.args[0])));
      case Expr::kNeg:
      case Expr::kPos: {
        const Value v = eval(*e.args[0]);
        if (v.is_undefined()) fail(fmt::format("'{}' is undefined", undefined_name(v)));
        if (!v.is_numeric())
          fail(fmt::format("bad operand type for unary {}: '{}'", e.type == Expr::kNeg ? '-' : '+',
                           type_name(v)));
        if (e.type == Expr::kPos) return v.kind == Kind::kBool ? Value::integer(v.b) : v;
        if (v.kind == Kind::kFloat) return Value::number(-v.f);
        if (as_int(v) == INT64_MIN) fail("integer overflow");
        return Value::integer(-as_int(v));
      }
      case Expr::kBinary:
        return arithmetic(e.name, eval(*e.args[0]), eval(*e.args[1]), limits_);
      case Expr::kCompare: {
        Value left = eval(*e.args[0]);
        for (size_t k = 0; k < e.ops.size(); ++k) {
          Value right = eval(*e.args[k + 1]);
          const std::string& op = e.ops[k];
          bool ok;
          if (op == "==")
            ok = equal(left, right);
          else if (op == "!=")
            ok = !equal(left, right);
          else if (op == "in" || op == "notin")
            ok = contains(right, left) == (op == "in");
          else {
            no_undefined(left, right);
            ok = op == "<"    ? less(left, right)
                 : op == ">"  ? less(right, left)
                 : op == "<=" ? !less(right, left)
                              : !less(left, right);
          }
          if (!ok) return Value::boolean(false);
          left = std::move(right);
        }
        return Value::boolean(true);
      }
      case Expr::kAnd: {
        Value a = eval(*e.args[0]);
        return truthy(a) ? eval(*e.args[1]) : a;
      }
      case Expr::kOr: {
        Value a = eval(*e.args[0]);
        return truthy(a) ? a : eval(*e.args[1]);
      }
      case Expr::kCond:
        if (truthy(eval(*e.args[0]))) return eval(*e.args[1]);
        return e.args[2] ? eval(*e.args[2]) : Value::undefined();
      case Expr::kList: {
        List items;
        for (const auto& a : e.args) items.push_back(eval(*a));
        return e.value.tuple ? Value::make_tuple(std::move(items))
                             : Value::make_list(std::move(items));
      }
      case Expr::kDict: {
        Dict items;
        for (size_t k = 0; k + 1 < e.args.size(); k += 2) {
          const Value key = eval(*e.args[k]);
          if (key.kind != Kind::kString)
            fail(fmt::format("dict keys must be strings here, got {}", type_name(key)));
          Value value = eval(*e.args[k + 1]);
          bool replaced = false;
          for (auto& item : items)
            if (item.first == key.s) {
              item.second = value;
              replaced = true;
            }
          if (!replaced) items.emplace_back(key.s, std::move(value));
        }
        return Value::make_dict(std::move(items));
      }
    }
    fail("unknown expression");
  }
};

}  // namespace

Template::Template(const std::string& source, const std::string& where, Limits limits)
    : where_(where), limits_(limits) {
  root_ = parse(lex(source, where_, limits_), where_, limits_);
}

Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

std::string Template::render(const std::map<std::string, Value>& variables) const {
  Renderer r(where_, limits_, variables);
  std::string out;
  try {
    r.exec(*root_, out);
  } catch (const LocatedError&) {
    throw;
  } catch (const EvalError& e) {
    throw InputError(fmt::format("{}: chat_template: {}", where_, e.what()));
  }
  return out;
}

}  // namespace amkd::jinja
