// Unit lists of cooperative runs: PEs of one chip form one unit, whole chips
// and other chips' PEs are named for their chip, the CPU is a unit; errors
// name the entry and the reason.
#include <gtest/gtest.h>

#include "npusim/runtime/errors.hpp"
#include "npusim/runtime/unit_list.hpp"

namespace npusim::runtime {
namespace {

using Names = std::vector<std::string>;

std::string error_of(const std::string& spec) {
  try {
    parse_unit_list(spec);
  } catch (const RuntimeError& e) {
    EXPECT_EQ(int(e.kind()), int(RuntimeErrorKind::kInvalidInput));
    return e.what();
  }
  return "(no error)";
}

TEST(UnitList, PesOfOneChipAreOneUnitAndTheCpuAnother) {
  const auto units = parse_unit_list("npu0pe0, cpu, npu0pe1");
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[0].name, "npu0");
  EXPECT_EQ(units[0].kind, UnitKind::kNpu);
  EXPECT_EQ(units[0].pes, (Names{"npu0pe0", "npu0pe1"}));
  EXPECT_EQ(units[0].devices(), "npu0pe0,npu0pe1");
  EXPECT_EQ(units[1].name, "cpu");
  EXPECT_EQ(units[1].kind, UnitKind::kCpu);
  EXPECT_EQ(units[1].describe(), "cpu");
}

TEST(UnitList, OtherChipsAreSimulatedByChipZerosNames) {
  const auto units = parse_unit_list("npu0pe0-1,npu1,npu2pe1");
  ASSERT_EQ(units.size(), 3u);
  EXPECT_EQ(units[0].pes, Names{"npu0pe0-1"});
  EXPECT_EQ(units[1].name, "npu1");
  EXPECT_EQ(units[1].chip, 1);
  EXPECT_EQ(units[1].pes, (Names{"npu0pe0", "npu0pe1"}));
  EXPECT_EQ(units[1].describe(), "npu1 (npu1pe0,npu1pe1)");
  EXPECT_EQ(units[1].pe_name("npu0pe1"), "npu1pe1");
  EXPECT_EQ(units[2].pes, Names{"npu0pe1"});
  EXPECT_EQ(units[2].describe(), "npu2 (npu2pe1)");
  EXPECT_EQ(parse_unit_list("warboy(1)*2,cpu")[0].pes, (Names{"npu0pe0", "npu0pe1"}));
}

TEST(UnitList, PlainPeListsAreNotUnitLists) {
  EXPECT_FALSE(is_unit_list("npu0pe0,npu0pe1"));
  EXPECT_FALSE(is_unit_list("npu0pe0-1"));
  EXPECT_TRUE(is_unit_list("npu0pe0,cpu"));
  EXPECT_TRUE(is_unit_list("npu0"));
  EXPECT_TRUE(is_unit_list("npu0pe0,npu1pe0"));
}

TEST(UnitList, ErrorsNameTheEntry) {
  EXPECT_NE(error_of("npu0pe0,cpu,cpu").find("names cpu twice"), std::string::npos);
  EXPECT_NE(error_of("npu9").find("chips are npu0 ... npu7"), std::string::npos);
  EXPECT_NE(error_of("npu1pe0,npu1pe0-1").find("chip npu1"), std::string::npos);
  EXPECT_NE(error_of("npu0pe0,gpu").find("\"gpu\""), std::string::npos);
  EXPECT_NE(error_of("npu0pe0,,cpu").find("empty entry"), std::string::npos);
}

}  // namespace
}  // namespace npusim::runtime
