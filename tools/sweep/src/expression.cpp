// Recursive-descent parser and evaluator of constraint expressions.
//
//   or    := and ("or" and)*
//   and   := not ("and" not)*
//   not   := "not" not | cmp
//   cmp   := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
//   sum   := prod (("+" | "-") prod)*
//   prod  := unary (("*" | "/") unary)*
//   unary := "-" unary | power
//   power := atom ("^" unary)?
//   atom  := NUMBER [UNIT] | NAME | NAME "(" or ("," or)* ")" | "(" or ")"
#include "npusim/sweep/expression.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "npusim/isa/hw_params.hpp"

namespace npusim::sweep {

struct Expression::Node {
  enum class Kind { kNumber, kName, kUnary, kBinary, kCall };
  Kind kind = Kind::kNumber;
  double number = 0;
  std::string name;  // kName: the variable; kUnary/kBinary: the operator; kCall: the function
  std::vector<std::shared_ptr<const Node>> args;
};

namespace {

using Node = Expression::Node;
using NodePtr = std::shared_ptr<const Node>;

const std::vector<std::string> kComparisons = {"<=", ">=", "==", "!=", "<", ">"};

class Parser {
 public:
  Parser(const std::string& text, const std::vector<std::string>& names)
      : text_(text), names_(names) {}

  NodePtr parse() {
    NodePtr root = parse_or();
    skip_space();
    if (at_ < text_.size()) fail("unexpected \"" + text_.substr(at_) + "\"");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw ExpressionError("in \"" + text_ + "\" at character " + std::to_string(at_ + 1) + ": " +
                          why);
  }

  void skip_space() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }

  // Consumes `token` if it comes next (a word only when not followed by a
  // name character, so "order" is not "or").
  bool accept(const std::string& token) {
    skip_space();
    if (text_.compare(at_, token.size(), token) != 0) return false;
    const size_t end = at_ + token.size();
    const bool word = std::isalpha(static_cast<unsigned char>(token[0]));
    if (word && end < text_.size() &&
        (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '_'))
      return false;
    at_ = end;
    return true;
  }

  static NodePtr make(Node::Kind kind, std::string op, std::vector<NodePtr> args) {
    auto n = std::make_shared<Node>();
    n->kind = kind;
    n->name = std::move(op);
    n->args = std::move(args);
    return n;
  }

  NodePtr parse_or() {
    NodePtr lhs = parse_and();
    while (accept("or")) lhs = make(Node::Kind::kBinary, "or", {lhs, parse_and()});
    return lhs;
  }

  NodePtr parse_and() {
    NodePtr lhs = parse_not();
    while (accept("and")) lhs = make(Node::Kind::kBinary, "and", {lhs, parse_not()});
    return lhs;
  }

  NodePtr parse_not() {
    if (accept("not")) return make(Node::Kind::kUnary, "not", {parse_not()});
    return parse_comparison();
  }

  NodePtr parse_comparison() {
    NodePtr lhs = parse_sum();
    for (const std::string& op : kComparisons)
      if (accept(op)) return make(Node::Kind::kBinary, op, {lhs, parse_sum()});
    return lhs;
  }

  NodePtr parse_sum() {
    NodePtr lhs = parse_product();
    for (;;) {
      if (accept("+"))
        lhs = make(Node::Kind::kBinary, "+", {lhs, parse_product()});
      else if (accept("-"))
        lhs = make(Node::Kind::kBinary, "-", {lhs, parse_product()});
      else
        return lhs;
    }
  }

  NodePtr parse_product() {
    NodePtr lhs = parse_unary();
    for (;;) {
      if (accept("*"))
        lhs = make(Node::Kind::kBinary, "*", {lhs, parse_unary()});
      else if (accept("/"))
        lhs = make(Node::Kind::kBinary, "/", {lhs, parse_unary()});
      else
        return lhs;
    }
  }

  NodePtr parse_unary() {
    if (accept("-")) return make(Node::Kind::kUnary, "-", {parse_unary()});
    NodePtr base = parse_atom();
    if (accept("^")) return make(Node::Kind::kBinary, "^", {base, parse_unary()});
    return base;
  }

  NodePtr parse_atom() {
    skip_space();
    if (at_ >= text_.size()) fail("expected a number, a name or \"(\"");
    const char c = text_[at_];
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return parse_number();
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return parse_name();
    if (accept("(")) {
      NodePtr inner = parse_or();
      if (!accept(")")) fail("expected \")\"");
      return inner;
    }
    fail("expected a number, a name or \"(\"");
  }

  // 12, 1.5, 2e9, or a quantity with a unit: 16MiB, 66GB/s, 2GHz, 2us.
  NodePtr parse_number() {
    const size_t begin = at_;
    const char* start = text_.c_str() + at_;
    char* end = nullptr;
    const double value = std::strtod(start, &end);
    if (end == start) fail("expected a number");
    at_ += size_t(end - start);
    size_t unit_end = at_;
    while (unit_end < text_.size() && std::isalpha(static_cast<unsigned char>(text_[unit_end])))
      ++unit_end;
    auto n = std::make_shared<Node>();
    n->kind = Node::Kind::kNumber;
    n->number = value;
    if (unit_end == at_) return n;
    if (text_.compare(unit_end, 2, "/s") == 0) unit_end += 2;
    const std::string quantity = text_.substr(begin, unit_end - begin);
    try {
      n->number = double(isa::parse_quantity_text(quantity).value);
    } catch (const isa::ParamError& e) {
      at_ = begin;
      fail(e.what());
    }
    at_ = unit_end;
    return n;
  }

  NodePtr parse_name() {
    const size_t begin = at_;
    while (at_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[at_])) || text_[at_] == '_'))
      ++at_;
    const std::string name = text_.substr(begin, at_ - begin);
    if (accept("(")) return parse_call(name, begin);
    if (std::find(names_.begin(), names_.end(), name) == names_.end()) {
      at_ = begin;
      std::string known;
      for (const auto& k : names_) known += (known.empty() ? "" : ", ") + k;
      fail("unknown name \"" + name + "\" (known: " + known + ")");
    }
    auto n = std::make_shared<Node>();
    n->kind = Node::Kind::kName;
    n->name = name;
    return n;
  }

  NodePtr parse_call(const std::string& function, size_t begin) {
    if (function != "min" && function != "max") {
      at_ = begin;
      fail("unknown function \"" + function + "\" (known: min, max)");
    }
    std::vector<NodePtr> args{parse_or()};
    while (accept(",")) args.push_back(parse_or());
    if (!accept(")")) fail("expected \")\" or \",\"");
    return make(Node::Kind::kCall, function, std::move(args));
  }

  const std::string& text_;
  const std::vector<std::string>& names_;
  size_t at_ = 0;
};

double evaluate_node(const Node& n, const std::map<std::string, double>& values) {
  const auto arg = [&](size_t i) { return evaluate_node(*n.args[i], values); };
  switch (n.kind) {
    case Node::Kind::kNumber:
      return n.number;
    case Node::Kind::kName: {
      const auto it = values.find(n.name);
      if (it == values.end()) throw ExpressionError("no value for \"" + n.name + "\"");
      return it->second;
    }
    case Node::Kind::kUnary:
      return n.name == "-" ? -arg(0) : double(arg(0) == 0);
    case Node::Kind::kCall: {
      double v = arg(0);
      for (size_t i = 1; i < n.args.size(); ++i)
        v = n.name == "min" ? std::min(v, arg(i)) : std::max(v, arg(i));
      return v;
    }
    case Node::Kind::kBinary:
      break;
  }
  const std::string& op = n.name;
  if (op == "and") return double(arg(0) != 0 && arg(1) != 0);
  if (op == "or") return double(arg(0) != 0 || arg(1) != 0);
  const double a = arg(0), b = arg(1);
  if (op == "+") return a + b;
  if (op == "-") return a - b;
  if (op == "*") return a * b;
  if (op == "/") return a / b;
  if (op == "^") return std::pow(a, b);
  if (op == "<") return double(a < b);
  if (op == "<=") return double(a <= b);
  if (op == ">") return double(a > b);
  if (op == ">=") return double(a >= b);
  if (op == "==") return double(a == b);
  return double(a != b);  // "!="
}

}  // namespace

Expression Expression::parse(const std::string& text, const std::vector<std::string>& known_names) {
  Expression e;
  e.text_ = text;
  e.root_ = Parser(text, known_names).parse();
  return e;
}

double Expression::evaluate(const std::map<std::string, double>& values) const {
  return evaluate_node(*root_, values);
}

bool Expression::is_condition() const {
  if (root_->kind == Node::Kind::kUnary) return root_->name == "not";
  if (root_->kind != Node::Kind::kBinary) return false;
  const std::string& op = root_->name;
  return op == "and" || op == "or" ||
         std::find(kComparisons.begin(), kComparisons.end(), op) != kComparisons.end();
}

}  // namespace npusim::sweep
