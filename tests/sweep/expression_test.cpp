// Constraint expressions: precedence, quantities with units, names of
// hardware parameters, conditions, and errors that say where and what.
#include "npusim/sweep/expression.hpp"

#include <gtest/gtest.h>

namespace npusim::sweep {
namespace {

const std::vector<std::string> kNames = {"sram_per_pe", "dram_bandwidth", "array_rows",
                                         "array_cols", "clock"};

double eval(const std::string& text, const std::map<std::string, double>& values = {}) {
  return Expression::parse(text, kNames).evaluate(values);
}

std::string error_of(const std::string& text) {
  try {
    Expression::parse(text, kNames);
  } catch (const ExpressionError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Expression, ArithmeticWithTheUsualPrecedence) {
  EXPECT_EQ(eval("1 + 2 * 3 ^ 2"), 19);
  EXPECT_EQ(eval("(1 + 2) * 3"), 9);
  EXPECT_EQ(eval("-2 ^ 2"), -4);
  EXPECT_EQ(eval("2 ^ 3 ^ 2"), 512);  // right-associative
  EXPECT_EQ(eval("10 - 4 - 3"), 3);   // left-associative
  EXPECT_EQ(eval("12 / 4 / 3"), 1);
  EXPECT_EQ(eval("1.5e3 + .5"), 1500.5);
  EXPECT_EQ(eval("min(4, 2, 3) + max(1, 7)"), 9);
}

TEST(Expression, QuantitiesTakeTheUnitsOfTheParameters) {
  EXPECT_EQ(eval("16MiB"), 16.0 * 1024 * 1024);
  EXPECT_EQ(eval("66GB/s"), 66e9);
  EXPECT_EQ(eval("15.75GB/s"), 15.75e9);
  EXPECT_EQ(eval("2GHz"), 2e9);
  EXPECT_EQ(eval("2us"), 2000);
  EXPECT_EQ(eval("sram_per_pe / 1MiB", {{"sram_per_pe", 8.0 * 1024 * 1024}}), 8);
  EXPECT_EQ(eval("dram_bandwidth/66GB/s", {{"dram_bandwidth", 33e9}}), 0.5);
}

TEST(Expression, ConditionsAndLogic) {
  const std::map<std::string, double> v = {
      {"array_rows", 64}, {"array_cols", 128}, {"sram_per_pe", 16.0 * 1024 * 1024}};
  const std::string area = "array_rows * array_cols / 8192 * 6 + sram_per_pe / 1MiB * 0.4";
  EXPECT_DOUBLE_EQ(eval(area, v), 6 + 6.4);
  EXPECT_EQ(eval(area + " <= 12.4", v), 1);
  EXPECT_EQ(eval(area + " < 12", v), 0);
  EXPECT_EQ(eval("1 < 2 and not 3 < 2"), 1);
  EXPECT_EQ(eval("1 > 2 or 2 == 2"), 1);
  EXPECT_EQ(eval("1 != 1 or 2 >= 3"), 0);
  EXPECT_TRUE(Expression::parse("clock >= 1GHz", kNames).is_condition());
  EXPECT_TRUE(Expression::parse("not clock > 1GHz", kNames).is_condition());
  EXPECT_FALSE(Expression::parse("clock / 1GHz", kNames).is_condition());
  EXPECT_FALSE(Expression::parse("(clock)", kNames).is_condition());
}

TEST(Expression, ErrorsSayWhereAndWhat) {
  EXPECT_EQ(error_of("sram < 4MiB"),
            "in \"sram < 4MiB\" at character 1: unknown name \"sram\" (known: sram_per_pe, "
            "dram_bandwidth, array_rows, array_cols, clock)");
  EXPECT_EQ(error_of("sram_per_pe < 4MB"),
            "in \"sram_per_pe < 4MB\" at character 15: bad quantity \"4MB\": expected a number "
            "with a unit (GiB, MiB, KiB, B, GB/s, MB/s, B/s, GHz, MHz, Hz, ms, us, ns)");
  EXPECT_EQ(error_of("(1 + 2"), "in \"(1 + 2\" at character 7: expected \")\"");
  EXPECT_EQ(error_of("1 2"), "in \"1 2\" at character 3: unexpected \"2\"");
  EXPECT_EQ(error_of("1 +"), "in \"1 +\" at character 4: expected a number, a name or \"(\"");
  EXPECT_EQ(error_of("sqrt(4)"),
            "in \"sqrt(4)\" at character 1: unknown function \"sqrt\" (known: min, max)");
  EXPECT_EQ(error_of("clock orr 1"), "in \"clock orr 1\" at character 7: unexpected \"orr 1\"");
}

}  // namespace
}  // namespace npusim::sweep
