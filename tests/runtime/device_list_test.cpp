// Device strings: our names, and the aliases users know from FuriosaAI's SDK
// (npu:0:0, 0:0-1, warboy(2)*1, ...), resolved to our names; errors name the
// entry and the reason.
#include <gtest/gtest.h>

#include "npusim/runtime/device_list.hpp"
#include "npusim/runtime/errors.hpp"

namespace npusim::runtime {
namespace {

using Names = std::vector<std::string>;

std::string error_of(const std::string& spec) {
  try {
    parse_device_list(spec);
  } catch (const RuntimeError& e) {
    EXPECT_EQ(int(e.kind()), int(RuntimeErrorKind::kInvalidInput));
    return e.what();
  }
  return "(no error)";
}

TEST(DeviceList, CanonicalNamesPassThrough) {
  EXPECT_EQ(parse_device_list("npu0pe1"), Names{"npu0pe1"});
  EXPECT_EQ(parse_device_list("npu0pe0, npu0pe1"), (Names{"npu0pe0", "npu0pe1"}));
  EXPECT_EQ(parse_device_list("npu0pe0-1"), Names{"npu0pe0-1"});
}

TEST(DeviceList, SdkPeNamesAreAliases) {
  EXPECT_EQ(parse_device_list("npu:0:0"), Names{"npu0pe0"});
  EXPECT_EQ(parse_device_list("npu:0:1"), Names{"npu0pe1"});
  EXPECT_EQ(parse_device_list("npu:0:0-1"), Names{"npu0pe0-1"});
  EXPECT_EQ(parse_device_list("0:1,0:0"), (Names{"npu0pe1", "npu0pe0"}));
  EXPECT_EQ(parse_device_list("0:0-1"), Names{"npu0pe0-1"});
}

TEST(DeviceList, WarboyConfigsTakeTheNextUnusedPes) {
  EXPECT_EQ(parse_device_list("warboy(2)*1"), Names{"npu0pe0-1"});
  EXPECT_EQ(parse_device_list("warboy(1)*1"), Names{"npu0pe0"});
  EXPECT_EQ(parse_device_list("warboy(1)*2"), (Names{"npu0pe0", "npu0pe1"}));
  EXPECT_EQ(parse_device_list("warboy*2"), (Names{"npu0pe0", "npu0pe1"}));
  EXPECT_EQ(parse_device_list("npu0pe0,warboy(1)*1"), (Names{"npu0pe0", "npu0pe1"}));
  EXPECT_EQ(parse_device_list("warboy(1)*1,warboy(1)*1"), (Names{"npu0pe0", "npu0pe1"}));
}

TEST(DeviceList, AliasesAskingForMoreThanTheChipAreRefused) {
  EXPECT_EQ(error_of("warboy(1)*3"),
            "bad device \"warboy(1)*3\" asks for 3 single PEs; the simulated device has 2 "
            "(npu0pe0, npu0pe1)");
  EXPECT_EQ(error_of("warboy(2)*2"),
            "bad device \"warboy(2)*2\" asks for 2 fused pairs; the simulated device has one "
            "(npu0pe0-1)");
  EXPECT_EQ(error_of("npu0pe1,warboy(1)*2"),
            "bad device \"warboy(1)*2\" asks for 2 single PEs; the simulated device has 2 "
            "(npu0pe0, npu0pe1) and the list uses some already");
  EXPECT_EQ(error_of("warboy(4)*1"),
            "bad device \"warboy(4)*1\": warboy(1)*N takes single PEs, warboy(2)*N fused pairs");
  EXPECT_EQ(error_of("npu:1:0"),
            "bad device \"npu:1:0\" (npu1pe0): the simulated device has npu:0:0, npu:0:1 and "
            "the fused npu:0:0-1");
}

TEST(DeviceList, APeTwiceIsRefusedNamingTheAlias) {
  EXPECT_EQ(error_of("npu0pe0,npu:0:0-1"),
            "device list \"npu0pe0,npu:0:0-1\" uses a PE twice (npu0pe0-1, from npu:0:0-1)");
  EXPECT_EQ(error_of("warboy(2)*1,npu0pe1"),
            "device list \"warboy(2)*1,npu0pe1\" uses a PE twice (npu0pe1)");
}

TEST(DeviceList, UnknownFormsListTheAcceptedOnes) {
  EXPECT_EQ(error_of("gpu0"),
            "bad device \"gpu0\": expected npu0pe0, npu0pe1 or npu0pe0-1 (or npu:0:0, npu:0:1, "
            "npu:0:0-1, warboy(1)*N, warboy(2)*1)");
}

}  // namespace
}  // namespace npusim::runtime
