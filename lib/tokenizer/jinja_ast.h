#pragma once
// Internals of jinja_template.h: the lexer's pieces, the syntax tree, and the names of the
// filters, tests, methods and functions the renderer implements (the parser refuses others).
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/jinja_template.h"

namespace amkd::jinja {

// A token inside {{ }} or {% %}.
struct Token {
  enum Type { kName, kString, kInt, kFloat, kOp, kEnd } type = kEnd;
  std::string text;  // the name, the unescaped string, the operator
  int64_t i = 0;
  double f = 0;
  int line = 1;
};

// The template split into text and tags, whitespace control already applied.
struct Piece {
  enum Type { kText, kOutput, kStatement } type = kText;
  std::string text;           // kText
  std::vector<Token> tokens;  // kOutput / kStatement, ending with a kEnd token
  int line = 1;
};

std::vector<Piece> lex(const std::string& source, const std::string& where, const Limits& limits);

struct Expr {
  enum Type {
    kConst,    // value
    kName,     // name
    kAttr,     // a.name
    kItem,     // a[b]
    kSlice,    // a[b:c:d], missing parts are null children
    kCall,     // callee(args, kwargs)
    kFilter,   // args[0]|name(args[1:], kwargs)
    kTest,     // args[0] is [not] name(args[1:])
    kNot,      // not a
    kNeg,      // -a
    kPos,      // +a
    kBinary,   // a op b: + - * / // % ** ~
    kCompare,  // a op1 b op2 c ...: == != < > <= >= in notin
    kAnd,
    kOr,
    kCond,  // args[1] if args[0] else args[2] (args[2] null: undefined)
    kList,  // [a, b] and tuples
    kDict,  // {k: v}: args alternate keys and values
  } type = kConst;
  int line = 1;
  int depth = 1;  // of the subtree, capped when parsing (rendering and freeing recurse over it)
  Value value;
  std::string name;              // kName, kAttr, kCall method name, kFilter, kTest, kBinary op
  std::vector<std::string> ops;  // kCompare
  bool negated = false;          // kTest
  std::vector<std::unique_ptr<Expr>> args;
  std::vector<std::pair<std::string, std::unique_ptr<Expr>>> kwargs;
};

struct Node {
  enum Type {
    kBody,      // children in order
    kText,      // text
    kOutput,    // {{ expr }}
    kIf,        // conditions[k] -> bodies[k]; bodies.back() is the else body when one more
    kFor,       // for targets in expr [if filter]: bodies[0], else bodies[1]
    kSet,       // set targets[0] (or ns.attr when attr non-empty) = expr
    kSetBlock,  // set targets[0]: bodies[0] rendered
    kBreak,
    kContinue,
  } type = kBody;
  int line = 1;
  std::string text;
  std::string attr;
  std::vector<std::string> targets;
  std::unique_ptr<Expr> expr, filter;
  std::vector<std::unique_ptr<Expr>> conditions;
  std::vector<std::unique_ptr<Node>> children;  // kBody
  std::vector<std::unique_ptr<Node>> bodies;    // kIf, kFor, kSetBlock
};

std::unique_ptr<Node> parse(const std::vector<Piece>& pieces, const std::string& where,
                            const Limits& limits);

// Arguments of a filter, test, method or function call.
struct CallArgs {
  std::vector<Value> args;
  std::vector<std::pair<std::string, Value>> kwargs;
};

// The builtins (jinja_builtins.cpp); EvalError on bad arguments or types, and for
// raise_exception (with its message).
Value apply_filter(const std::string& name, const Value& input, const CallArgs& call,
                   const Limits& limits);
bool apply_test(const std::string& name, const Value& input, const CallArgs& call);
Value call_method(const std::string& name, const Value& object, const CallArgs& call,
                  const Limits& limits);
Value call_function(const std::string& name, const CallArgs& call, const Limits& limits);
// Attribute and item access as jinja2's sandbox does them (undefined when absent).
Value get_attr(const Value& object, const std::string& name);
Value get_item(const Value& object, const Value& key);
// The elements a for loop or a filter iterates over (undefined: none).
List iterate(const Value& v);
// The string, checked against the output limit (repetition and joins can grow without bound).
std::string bounded(std::string s, const Limits& limits);

// Names the renderer implements.
bool is_known_filter(const std::string& name);
bool is_known_test(const std::string& name);
bool is_known_method(const std::string& name);
bool is_known_function(const std::string& name);

}  // namespace amkd::jinja
