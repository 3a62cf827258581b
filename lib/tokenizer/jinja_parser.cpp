// Recursive-descent parser with jinja2's grammar and precedence (parser.py): conditional
// expressions, or, and, not, comparisons (chained, in, not in), + -, ~, * / // %, **, unary
// minus, then postfix access, calls, filters and tests. Statements outside the supported subset
// and unknown filters, tests, methods and functions are refused here, so that nothing renders
// differently from transformers.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "common/errors.h"
#include "tokenizer/jinja_ast.h"

namespace amkd::jinja {
namespace {

const std::set<std::string> kRefusedStatements = {
    "macro",    "endmacro",  "call",       "endcall",       "filter", "endfilter",
    "block",    "endblock",  "extends",    "include",       "import", "from",
    "with",     "endwith",   "autoescape", "endautoescape", "do",     "trans",
    "endtrans", "pluralize", "raw",        "endraw"};

std::string describe(const Token& t) {
  switch (t.type) {
    case Token::kEnd:
      return "end of tag";
    case Token::kString:
      return "string";
    case Token::kInt:
    case Token::kFloat:
      return "number " + t.text;
    default:
      return "'" + t.text + "'";
  }
}

class ExprParser {
 public:
  ExprParser(const std::vector<Token>& tokens, const std::string& where, const Limits& limits)
      : t_(tokens), where_(where), limits_(limits) {}

  const Token& peek(size_t ahead = 0) const { return t_[std::min(pos_ + ahead, t_.size() - 1)]; }
  const Token& next() {
    const Token& t = t_[pos_];
    if (pos_ + 1 < t_.size()) ++pos_;
    return t;
  }
  bool at_end() const { return peek().type == Token::kEnd; }
  bool is_op(const char* op, size_t ahead = 0) const {
    return peek(ahead).type == Token::kOp && peek(ahead).text == op;
  }
  bool is_name(const char* name, size_t ahead = 0) const {
    return peek(ahead).type == Token::kName && peek(ahead).text == name;
  }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(const char* name) {
    if (!is_name(name)) return false;
    next();
    return true;
  }
  [[noreturn]] void fail(int line, const std::string& what) const {
    throw InputError(fmt::format("{}: chat_template line {}: {}", where_, line, what));
  }
  void expect_op(const char* op) {
    if (!skip_op(op)) fail(peek().line, fmt::format("expected '{}', got {}", op, describe(peek())));
  }
  std::string expect_name() {
    if (peek().type != Token::kName)
      fail(peek().line, fmt::format("expected a name, got {}", describe(peek())));
    return next().text;
  }
  void expect_end(const char* what) {
    if (!at_end())
      fail(peek().line, fmt::format("expected the end of {}, got {}", what, describe(peek())));
  }

  // expression [, expression ...]: several become a list (Python's tuple).
  std::unique_ptr<Expr> tuple(bool with_condexpr = true) {
    const int line = peek().line;
    auto first = with_condexpr ? expression() : or_expr();
    if (!is_op(",")) return first;
    auto list = make(Expr::kList, line);
    list->value.tuple = true;
    list->args.push_back(std::move(first));
    while (skip_op(",")) {
      if (at_end() || is_op(")") || is_op("=")) break;
      list->args.push_back(with_condexpr ? expression() : or_expr());
    }
    return checked(std::move(list));
  }

  std::unique_ptr<Expr> expression() {
    Depth depth(*this);
    const int line = peek().line;
    auto e = or_expr();
    while (skip_name("if")) {
      auto cond = make(Expr::kCond, line);
      cond->args.push_back(or_expr());
      cond->args.insert(cond->args.begin() + 1, std::move(e));
      cond->args.push_back(skip_name("else") ? expression() : nullptr);
      e = checked(std::move(cond));
    }
    return e;
  }

  std::unique_ptr<Expr> or_expr() {
    auto left = and_expr();
    while (is_name("or")) {
      const int line = next().line;
      left = binary(Expr::kOr, line, std::move(left), and_expr());
    }
    return left;
  }

  std::unique_ptr<Expr> and_expr() {
    auto left = not_expr();
    while (is_name("and")) {
      const int line = next().line;
      left = binary(Expr::kAnd, line, std::move(left), not_expr());
    }
    return left;
  }

  std::unique_ptr<Expr> not_expr() {
    if (is_name("not")) {
      Depth depth(*this);
      auto e = make(Expr::kNot, next().line);
      e->args.push_back(not_expr());
      return checked(std::move(e));
    }
    return compare();
  }

  std::unique_ptr<Expr> compare() {
    const int line = peek().line;
    auto first = math1();
    std::unique_ptr<Expr> cmp;
    while (true) {
      std::string op;
      if (peek().type == Token::kOp &&
          (is_op("==") || is_op("!=") || is_op("<") || is_op(">") || is_op("<=") || is_op(">="))) {
        op = next().text;
      } else if (skip_name("in")) {
        op = "in";
      } else if (is_name("not") && is_name("in", 1)) {
        next();
        next();
        op = "notin";
      } else {
        break;
      }
      if (!cmp) {
        cmp = make(Expr::kCompare, line);
        cmp->args.push_back(std::move(first));
      }
      cmp->ops.push_back(op);
      cmp->args.push_back(math1());
    }
    return cmp ? checked(std::move(cmp)) : std::move(first);
  }

  std::unique_ptr<Expr> math1() {
    auto left = concat();
    while (is_op("+") || is_op("-")) {
      const Token& op = next();
      left = binary(Expr::kBinary, op.line, std::move(left), concat(), op.text);
    }
    return left;
  }

  std::unique_ptr<Expr> concat() {
    auto left = math2();
    while (is_op("~")) {
      const int line = next().line;
      left = binary(Expr::kBinary, line, std::move(left), math2(), "~");
    }
    return left;
  }

  std::unique_ptr<Expr> math2() {
    auto left = power();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& op = next();
      left = binary(Expr::kBinary, op.line, std::move(left), power(), op.text);
    }
    return left;
  }

  std::unique_ptr<Expr> power() {
    auto left = unary(true);
    while (is_op("**")) {
      const int line = next().line;
      left = binary(Expr::kBinary, line, std::move(left), unary(true), "**");
    }
    return left;
  }

  std::unique_ptr<Expr> unary(bool with_filter) {
    Depth depth(*this);
    std::unique_ptr<Expr> node;
    if (is_op("-") || is_op("+")) {
      const Token& op = next();
      node = make(op.text == "-" ? Expr::kNeg : Expr::kPos, op.line);
      node->args.push_back(unary(false));
      node = checked(std::move(node));
    } else {
      node = primary();
    }
    node = postfix(std::move(node));
    if (with_filter) node = filters(std::move(node));
    return node;
  }

  std::unique_ptr<Expr> primary() {
    const Token& t = peek();
    if (t.type == Token::kName) {
      next();
      auto e = make(Expr::kConst, t.line);
      if (t.text == "true" || t.text == "True" || t.text == "false" || t.text == "False") {
        e->value = Value::boolean(t.text == "true" || t.text == "True");
      } else if (t.text == "none" || t.text == "None") {
        e->value = Value::none();
      } else {
        e->type = Expr::kName;
        e->name = t.text;
      }
      return e;
    }
    if (t.type == Token::kString) {
      auto e = make(Expr::kConst, t.line);
      std::string s;
      while (peek().type == Token::kString) s += next().text;  // adjacent literals join
      e->value = Value::string(std::move(s));
      return e;
    }
    if (t.type == Token::kInt || t.type == Token::kFloat) {
      next();
      auto e = make(Expr::kConst, t.line);
      e->value = t.type == Token::kInt ? Value::integer(t.i) : Value::number(t.f);
      return e;
    }
    if (is_op("(")) {
      next();
      if (skip_op(")")) {  // ()
        auto empty = make(Expr::kList, t.line);
        empty->value.tuple = true;
        return empty;
      }
      auto first = expression();
      if (!is_op(",")) {
        expect_op(")");
        return first;
      }
      auto list = make(Expr::kList, t.line);
      list->value.tuple = true;
      list->args.push_back(std::move(first));
      while (skip_op(",") && !is_op(")")) list->args.push_back(expression());
      expect_op(")");
      return checked(std::move(list));
    }
    if (is_op("[")) {
      next();
      auto list = make(Expr::kList, t.line);
      while (!is_op("]")) {
        list->args.push_back(expression());
        if (!skip_op(",")) break;
      }
      expect_op("]");
      return checked(std::move(list));
    }
    if (is_op("{")) {
      next();
      auto dict = make(Expr::kDict, t.line);
      while (!is_op("}")) {
        dict->args.push_back(expression());
        expect_op(":");
        dict->args.push_back(expression());
        if (!skip_op(",")) break;
      }
      expect_op("}");
      return checked(std::move(dict));
    }
    fail(t.line, fmt::format("unexpected {}", describe(t)));
  }

  std::unique_ptr<Expr> postfix(std::unique_ptr<Expr> node) {
    while (true) {
      if (is_op(".")) {
        const int line = next().line;
        if (peek().type == Token::kInt) {  // a.0 is a[0]
          auto item = make(Expr::kItem, line);
          item->args.push_back(std::move(node));
          auto index = make(Expr::kConst, line);
          index->value = Value::integer(next().i);
          item->args.push_back(std::move(index));
          node = checked(std::move(item));
          continue;
        }
        auto attr = make(Expr::kAttr, line);
        attr->name = expect_name();
        attr->args.push_back(std::move(node));
        node = checked(std::move(attr));
      } else if (is_op("[")) {
        node = subscript(std::move(node));
      } else if (is_op("(")) {
        node = call(std::move(node));
      } else {
        return node;
      }
    }
  }

  std::unique_ptr<Expr> subscript(std::unique_ptr<Expr> node) {
    const int line = next().line;  // [
    std::unique_ptr<Expr> parts[3];
    int colons = 0;
    while (!is_op("]")) {
      if (skip_op(":")) {
        if (++colons > 2) fail(line, "a slice takes at most two ':'");
        continue;
      }
      if (parts[colons])
        fail(peek().line, fmt::format("unexpected {} in a subscript", describe(peek())));
      parts[colons] = expression();
      if (is_op(",")) fail(peek().line, "unsupported Jinja construct 'tuple subscript'");
    }
    expect_op("]");
    if (colons == 0) {
      if (!parts[0]) fail(line, "empty subscript");
      auto item = make(Expr::kItem, line);
      item->args.push_back(std::move(node));
      item->args.push_back(std::move(parts[0]));
      return checked(std::move(item));
    }
    auto slice = make(Expr::kSlice, line);
    slice->args.push_back(std::move(node));
    for (auto& p : parts) slice->args.push_back(std::move(p));
    return checked(std::move(slice));
  }

  void call_args(Expr& e) {
    expect_op("(");
    while (!is_op(")")) {
      if (is_op("*") || is_op("**"))
        fail(peek().line, "unsupported Jinja construct '*args/**kwargs'");
      if (peek().type == Token::kName && is_op("=", 1)) {
        std::string key = next().text;
        next();
        e.kwargs.emplace_back(std::move(key), expression());
      } else {
        if (!e.kwargs.empty())
          fail(peek().line, "a positional argument follows a keyword argument");
        e.args.push_back(expression());
      }
      if (!skip_op(",")) break;
    }
    expect_op(")");
  }

  std::unique_ptr<Expr> call(std::unique_ptr<Expr> callee) {
    const int line = peek().line;
    auto e = make(Expr::kCall, line);
    if (callee->type == Expr::kAttr) {
      if (!is_known_method(callee->name))
        fail(line, fmt::format("unsupported method '{}()'", callee->name));
      e->name = callee->name;
      e->args.push_back(std::move(callee->args[0]));  // the object; arguments follow
    } else if (callee->type == Expr::kName) {
      if (!is_known_function(callee->name))
        fail(line, fmt::format("unsupported Jinja function '{}()'", callee->name));
      e->value = Value::function(callee->name);
    } else {
      fail(line, "unsupported Jinja construct 'call of an expression'");
    }
    call_args(*e);
    return checked(std::move(e));
  }

  std::unique_ptr<Expr> filters(std::unique_ptr<Expr> node) {
    while (true) {
      if (is_op("|")) {
        const int line = next().line;
        auto f = make(Expr::kFilter, line);
        f->name = expect_name();
        if (!is_known_filter(f->name))
          fail(line, fmt::format("unsupported Jinja filter '{}'", f->name));
        f->args.push_back(std::move(node));
        if (is_op("(")) call_args(*f);
        node = checked(std::move(f));
      } else if (is_name("is")) {
        const int line = next().line;
        auto test = make(Expr::kTest, line);
        test->negated = skip_name("not");
        test->name = expect_name();
        if (!is_known_test(test->name))
          fail(line, fmt::format("unsupported Jinja test '{}'", test->name));
        test->args.push_back(std::move(node));
        const Token& t = peek();
        if (is_op("(")) {
          call_args(*test);
        } else if ((t.type == Token::kName || t.type == Token::kString || t.type == Token::kInt ||
                    t.type == Token::kFloat || is_op("[") || is_op("{")) &&
                   !is_name("else") && !is_name("or") && !is_name("and")) {
          if (is_name("is")) fail(t.line, "You cannot chain multiple tests with is");
          test->args.push_back(postfix(primary()));
        }
        node = checked(std::move(test));
      } else if (is_op("(")) {
        node = call(std::move(node));
      } else {
        return node;
      }
    }
  }

 private:
  const std::vector<Token>& t_;
  const std::string& where_;
  const Limits& limits_;
  size_t pos_ = 0;
  int depth_ = 0;

  struct Depth {
    ExprParser& p;
    explicit Depth(ExprParser& parser) : p(parser) {
      if (++p.depth_ > p.limits_.max_depth)
        p.fail(p.peek().line,
               fmt::format("expressions nest deeper than {} levels", p.limits_.max_depth));
    }
    ~Depth() { --p.depth_; }
  };

  static std::unique_ptr<Expr> make(Expr::Type type, int line) {
    auto e = std::make_unique<Expr>();
    e->type = type;
    e->line = line;
    return e;
  }
  // Sets the subtree's depth; chains like a.b.c... or a + b + ... build deep trees without
  // recursing here, and evaluating or freeing them recurses, so their depth is capped too.
  std::unique_ptr<Expr> checked(std::unique_ptr<Expr> e) const {
    for (const auto& a : e->args)
      if (a) e->depth = std::max(e->depth, a->depth + 1);
    for (const auto& kv : e->kwargs) e->depth = std::max(e->depth, kv.second->depth + 1);
    if (e->depth > 4 * limits_.max_depth)
      fail(e->line, fmt::format("expressions nest deeper than {} levels", 4 * limits_.max_depth));
    return e;
  }
  std::unique_ptr<Expr> binary(Expr::Type type, int line, std::unique_ptr<Expr> a,
                               std::unique_ptr<Expr> b, std::string op = "") {
    auto e = make(type, line);
    e->name = std::move(op);
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return checked(std::move(e));
  }
};

class StatementParser {
 public:
  StatementParser(const std::vector<Piece>& pieces, const std::string& where, const Limits& limits)
      : pieces_(pieces), where_(where), limits_(limits) {}

  std::unique_ptr<Node> run() {
    std::string end;
    auto body = parse_body({}, end, 0, 0, "");
    return body;
  }

 private:
  const std::vector<Piece>& pieces_;
  const std::string& where_;
  const Limits& limits_;
  size_t pos_ = 0;
  int loops_ = 0;

  [[noreturn]] void fail(int line, const std::string& what) const {
    throw InputError(fmt::format("{}: chat_template line {}: {}", where_, line, what));
  }

  static std::unique_ptr<Node> make(Node::Type type, int line) {
    auto n = std::make_unique<Node>();
    n->type = type;
    n->line = line;
    return n;
  }

  // Nodes up to one of `ends` (the statement keyword is returned in `found`); at the end of the
  // template when `ends` is empty. `opener`/`open_line` name the block for "not closed" errors.
  std::unique_ptr<Node> parse_body(const std::set<std::string>& ends, std::string& found, int depth,
                                   int open_line, const std::string& opener) {
    if (depth > limits_.max_depth)
      fail(open_line, fmt::format("blocks nest deeper than {} levels", limits_.max_depth));
    auto body = make(Node::kBody, open_line);
    while (pos_ < pieces_.size()) {
      const Piece& p = pieces_[pos_++];
      if (p.type == Piece::kText) {
        auto n = make(Node::kText, p.line);
        n->text = p.text;
        body->children.push_back(std::move(n));
        continue;
      }
      ExprParser x(p.tokens, where_, limits_);
      if (p.type == Piece::kOutput) {
        auto n = make(Node::kOutput, p.line);
        if (x.at_end()) fail(p.line, "expected an expression, got end of print statement");
        n->expr = x.tuple();
        x.expect_end("print statement");
        body->children.push_back(std::move(n));
        continue;
      }
      if (x.peek().type != Token::kName) fail(p.line, "expected a statement name");
      const std::string keyword = x.next().text;
      if (ends.count(keyword)) {
        found = keyword;
        --pos_;  // the caller reads the closing statement itself
        return body;
      }
      if (keyword == "if") {
        body->children.push_back(parse_if(x, p.line, depth));
      } else if (keyword == "for") {
        body->children.push_back(parse_for(x, p.line, depth));
      } else if (keyword == "set") {
        body->children.push_back(parse_set(x, p.line, depth));
      } else if (keyword == "break" || keyword == "continue") {
        if (loops_ == 0) fail(p.line, fmt::format("'{}' outside a for loop", keyword));
        x.expect_end("the statement");
        body->children.push_back(make(keyword == "break" ? Node::kBreak : Node::kContinue, p.line));
      } else if (keyword ==
                 "generation") {  // transformers' assistant-mask marker: renders its body
        x.expect_end("the statement");
        std::string end;
        auto inner = parse_body({"endgeneration"}, end, depth + 1, p.line, "generation");
        closing(end);
        body->children.push_back(std::move(inner));
      } else if (kRefusedStatements.count(keyword)) {
        fail(p.line, fmt::format("unsupported Jinja construct '{}'", keyword));
      } else if (keyword.rfind("end", 0) == 0 || keyword == "elif" || keyword == "else") {
        fail(p.line, fmt::format("unexpected '{}'{}", keyword,
                                 opener.empty() ? ""
                                                : fmt::format(" inside the '{}' block of line {}",
                                                              opener, open_line)));
      } else {
        fail(p.line, fmt::format("unsupported Jinja construct '{}'", keyword));
      }
    }
    if (!ends.empty())
      fail(open_line, fmt::format("'{}' is not closed (expected '{}')", opener, *ends.rbegin()));
    return body;
  }

  // Reads the closing statement parse_body stopped at; returns its parser (for `else`/`elif`).
  ExprParser closing(const std::string&) {
    const Piece& p = pieces_[pos_++];
    ExprParser x(p.tokens, where_, limits_);
    x.next();
    return x;
  }

  std::unique_ptr<Node> parse_if(ExprParser& x, int line, int depth) {
    auto n = make(Node::kIf, line);
    n->conditions.push_back(x.tuple());
    x.expect_end("the if statement");
    while (true) {
      std::string end;
      n->bodies.push_back(parse_body({"elif", "else", "endif"}, end, depth + 1, line, "if"));
      const int at = pieces_[pos_].line;
      ExprParser c = closing(end);
      if (end == "elif") {
        n->conditions.push_back(c.tuple());
        c.expect_end("the elif statement");
      } else if (end == "else") {
        c.expect_end("the else statement");
        std::string last;
        n->bodies.push_back(parse_body({"endif"}, last, depth + 1, at, "if"));
        closing(last).expect_end("the endif statement");
        return n;
      } else {
        c.expect_end("the endif statement");
        return n;
      }
    }
  }

  std::unique_ptr<Node> parse_for(ExprParser& x, int line, int depth) {
    auto n = make(Node::kFor, line);
    const bool paren = x.skip_op("(");
    do {
      n->targets.push_back(x.expect_name());
    } while (x.skip_op(","));
    if (paren) x.expect_op(")");
    if (!x.skip_name("in"))
      x.fail(x.peek().line, fmt::format("expected 'in', got {}", describe(x.peek())));
    n->expr = x.tuple(false);
    if (x.skip_name("if")) n->filter = x.expression();
    if (x.is_name("recursive")) fail(line, "unsupported Jinja construct 'recursive loop'");
    x.expect_end("the for statement");
    ++loops_;
    std::string end;
    n->bodies.push_back(parse_body({"else", "endfor"}, end, depth + 1, line, "for"));
    --loops_;
    const int at = pieces_[pos_].line;
    ExprParser c = closing(end);
    c.expect_end(end == "else" ? "the else statement" : "the endfor statement");
    if (end == "else") {
      std::string last;
      n->bodies.push_back(parse_body({"endfor"}, last, depth + 1, at, "for"));
      closing(last).expect_end("the endfor statement");
    }
    return n;
  }

  std::unique_ptr<Node> parse_set(ExprParser& x, int line, int depth) {
    auto n = make(Node::kSet, line);
    n->targets.push_back(x.expect_name());
    if (x.skip_op(".")) n->attr = x.expect_name();
    if (x.is_op(",")) fail(line, "unsupported Jinja construct 'set with several targets'");
    if (x.at_end()) {  // {% set name %}...{% endset %}
      if (!n->attr.empty()) fail(line, "unsupported Jinja construct 'set block of an attribute'");
      n->type = Node::kSetBlock;
      std::string end;
      n->bodies.push_back(parse_body({"endset"}, end, depth + 1, line, "set"));
      closing(end).expect_end("the endset statement");
      return n;
    }
    if (x.is_op("|")) fail(line, "unsupported Jinja construct 'filtered set block'");
    x.expect_op("=");
    n->expr = x.tuple();
    x.expect_end("the set statement");
    return n;
  }
};

}  // namespace

std::unique_ptr<Node> parse(const std::vector<Piece>& pieces, const std::string& where,
                            const Limits& limits) {
  return StatementParser(pieces, where, limits).run();
}

}  // namespace amkd::jinja
