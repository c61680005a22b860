// A small arithmetic expression over hardware parameters, for a sweep's
// derived constraints (docs/sweep.md, "Constraints"):
//
//   array_rows * array_cols / 8192 * 6 + sram_per_pe / 1MiB * 0.4 <= 40
//
// Names are the numeric parameters of isa::param_numbers() in their base
// units (bytes, B/s, Hz, ns, cycles, counts). A number may carry a unit of
// docs/params.md written right after it (16MiB, 66GB/s, 2GHz, 2us), parsed by
// isa::parse_quantity_text into the same base units. Operators: + - * / ^,
// comparisons < <= > >= == !=, and, or, not, parentheses; functions min(a, b,
// ...), max(a, b, ...). Arithmetic is in double; a comparison is 1 or 0.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace npusim::sweep {

// A syntax error or an unknown name: the message quotes the expression and
// says where and what.
class ExpressionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Expression {
 public:
  // Parses `text`; every name must be in `known_names`.
  static Expression parse(const std::string& text, const std::vector<std::string>& known_names);

  // The value with `values` for the names (every name used must be there).
  double evaluate(const std::map<std::string, double>& values) const;

  // Whether the top-level operation is a comparison or a logical one (a
  // constraint must be a condition, not a bare number).
  bool is_condition() const;
  const std::string& text() const { return text_; }

  struct Node;

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
};

}  // namespace npusim::sweep
