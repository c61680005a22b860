// Hardware parameters: presets, unit syntax, round trips, error messages.
#include "npusim/isa/hw_params.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace npusim::isa {
namespace {

namespace fs = std::filesystem;

// A file in the temp directory, unique per process (ctest runs tests in parallel).
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (fs::temp_directory_path() /
             ("npusim_hw_" + std::to_string(::getpid()) + "_" + info->name() + ".txt"))
                .string();
    std::ofstream(path_) << text;
  }
  ~TempFile() { fs::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Sets one key on a warboy struct.
HwParams with(const std::string& key, const std::string& value) {
  HwParams p;
  set_param(p, key, value);
  return p;
}

// The ParamError message of f(), or "" if it did not throw.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ParamError& e) {
    return e.what();
  }
  return "";
}

// Rebuilds a struct from describe() alone.
HwParams replay(const HwParams& p) {
  HwParams out = preset("small");  // deliberately not the source preset
  for (const auto& [k, v] : describe(p)) set_param(out, k, v);
  return out;
}

// A struct where every field differs from warboy and needs decimals or
// non-dividing units to print.
HwParams odd_params() {
  HwParams p;
  p.num_pes = 3;
  p.clock_hz = 1'234'567'891;
  p.array_rows = 7;
  p.array_cols = 1000;
  p.dataflow = Dataflow::kOutputStationary;
  p.sram_per_pe = (3ull << 20) + 1;
  p.dram_size = 1536ull << 20;
  p.dram_bandwidth = 1'234'567;
  p.host_link = 999'999;  // below 1 MB/s prints in B/s, but the range refuses it
  p.pe_link = 12'500'000'001;
  p.vector_lanes = 13;
  p.dma_setup_cycles = 0;
  p.dma_burst = 1000;
  p.matrix_issue_cycles = 1;
  p.vector_issue_cycles = 0;
  p.num_semaphores = 256;
  p.watchdog_cycles = 123'456'789;
  p.host_cores = 1;
  p.host_op_ns = 2'500;
  return p;
}

TEST(HwParams, WarboyIsTheStructDefault) {
  const HwParams w = preset("warboy");
  EXPECT_EQ(w, HwParams{});
  EXPECT_EQ(w.name, "warboy");
  EXPECT_EQ(w.num_pes, 2);
  EXPECT_EQ(w.clock_hz, 2'000'000'000u);
  EXPECT_EQ(w.macs_per_cycle(), 8192u);
  EXPECT_EQ(w.sram_per_pe, 16ull << 20);
  EXPECT_EQ(w.dram_size, 16ull << 30);
  EXPECT_EQ(w.dram_bandwidth, 66'000'000'000u);
  EXPECT_EQ(w.host_link, 15'750'000'000u);
  EXPECT_DOUBLE_EQ(w.cycle_ns(), 0.5);
}

// Whole picoseconds, rounded: 2 GHz -> 500 ps, 1.5 GHz -> 667 ps (as the
// simulated device keeps time); cycle counts beyond 2^53 / 10^12 convert exactly.
TEST(HwParams, ClockPeriodIsWholePicoseconds) {
  EXPECT_EQ(clock_period_ps(2'000'000'000), 500u);
  EXPECT_EQ(clock_period_ps(1'500'000'000), 667u);
  EXPECT_EQ(clock_period_ps(3'000'000'000'000), 1u) << "at least 1 ps";
  // 64 ms at 2 GHz: the double conversion this replaces, cycles * 1e12 / clock,
  // gave 63,807,120,999 ps here (a trace's busy time then missed the counters by ps).
  const uint64_t cycles = 127'614'242;
  EXPECT_EQ(cycles * clock_period_ps(2'000'000'000), 63'807'121'000u);
}

TEST(HwParams, SmallDiffersOnlyInArrayAndName) {
  HwParams s = preset("small");
  EXPECT_EQ(s.name, "small");
  EXPECT_EQ(s.array_rows, 16);
  EXPECT_EQ(s.array_cols, 16);
  s.name = "warboy";
  s.array_rows = 64;
  s.array_cols = 128;
  EXPECT_EQ(s, HwParams{});
}

TEST(HwParams, PresetNamesAndUnknownPreset) {
  EXPECT_EQ(preset_names(), (std::vector<std::string>{"warboy", "small"}));
  EXPECT_THROW(preset("tiny"), ParamError);
  const std::string msg = error_of([] { with("preset", "tiny"); });
  EXPECT_NE(msg.find("\"tiny\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("preset"), std::string::npos) << msg;
  EXPECT_NE(msg.find("warboy, small"), std::string::npos) << msg;
}

TEST(HwParams, PresetKeyResetsEveryField) {
  HwParams p = odd_params();
  set_param(p, "preset", "small");
  EXPECT_EQ(p, preset("small"));
}

TEST(HwParams, DescribeWarboyCanonicalText) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"preset", "warboy"},
      {"num_pes", "2"},
      {"clock", "2GHz"},
      {"array", "64x128"},
      {"dataflow", "ws"},
      {"sram_per_pe", "16MiB"},
      {"dram_size", "16GiB"},
      {"dram_bandwidth", "66GB/s"},
      {"host_link", "15.75GB/s"},
      {"pe_link", "64GB/s"},
      {"vector_lanes", "64"},
      {"dma_setup_cycles", "64"},
      {"dma_burst", "4KiB"},
      {"matrix_issue_cycles", "16"},
      {"vector_issue_cycles", "8"},
      {"num_semaphores", "32"},
      {"watchdog_cycles", "10000000"},
      {"host_cores", "8"},
      {"host_op", "2us"}};
  EXPECT_EQ(describe(HwParams{}), expected);
}

TEST(HwParams, DescribeRoundTripsEveryPreset) {
  for (const auto& name : preset_names()) EXPECT_EQ(replay(preset(name)), preset(name)) << name;
}

TEST(HwParams, DescribeRoundTripsOddValues) {
  HwParams p = odd_params();
  p.host_link = 1'000'001;  // in range: 1.000001MB/s
  EXPECT_EQ(replay(p), p);
  const auto d = describe(p);
  const auto value = [&d](const std::string& k) {
    for (const auto& [key, v] : d)
      if (key == k) return v;
    return std::string("<missing>");
  };
  EXPECT_EQ(value("clock"), "1.234567891GHz");
  EXPECT_EQ(value("sram_per_pe"), "3145729B");
  EXPECT_EQ(value("dram_size"), "1536MiB");
  EXPECT_EQ(value("dram_bandwidth"), "1.234567MB/s");
  EXPECT_EQ(value("host_link"), "1.000001MB/s");
  EXPECT_EQ(value("pe_link"), "12.500000001GB/s");
  EXPECT_EQ(value("dma_burst"), "1000B");
  EXPECT_EQ(value("dataflow"), "os");
  EXPECT_EQ(value("host_op"), "2.5us");
}

TEST(HwParams, ToTextLoadsBackEqual) {
  HwParams p = odd_params();
  p.host_link = 15'750'000'000;
  p.name = "small";
  TempFile f(to_text(p));
  EXPECT_EQ(load_params_file(f.path()), p);
}

TEST(HwParams, SizeUnits) {
  EXPECT_EQ(with("sram_per_pe", "16MiB").sram_per_pe, 16ull << 20);
  EXPECT_EQ(with("sram_per_pe", "1GiB").sram_per_pe, 1ull << 30);
  EXPECT_EQ(with("sram_per_pe", "64KiB").sram_per_pe, 64ull << 10);
  EXPECT_EQ(with("sram_per_pe", "65536B").sram_per_pe, 65536u);
  EXPECT_EQ(with("sram_per_pe", "65537").sram_per_pe, 65537u);  // plain = bytes
  EXPECT_EQ(with("sram_per_pe", "1.5MiB").sram_per_pe, 3ull << 19);
  EXPECT_EQ(with("sram_per_pe", "8 MiB").sram_per_pe, 8ull << 20);
  EXPECT_EQ(with("dram_size", "4GiB").dram_size, 4ull << 30);
  EXPECT_EQ(with("dram_size", "1024GiB").dram_size, 1ull << 40);
  EXPECT_EQ(with("dma_burst", "256").dma_burst, 256u);
  EXPECT_EQ(with("dma_burst", "16MiB").dma_burst, 16ull << 20);
}

TEST(HwParams, BandwidthUnits) {
  EXPECT_EQ(with("dram_bandwidth", "66GB/s").dram_bandwidth, 66'000'000'000u);
  EXPECT_EQ(with("host_link", "15.75GB/s").host_link, 15'750'000'000u);
  EXPECT_EQ(with("host_link", "0.5GB/s").host_link, 500'000'000u);
  EXPECT_EQ(with("pe_link", "1500MB/s").pe_link, 1'500'000'000u);
  EXPECT_EQ(with("pe_link", "2.25MB/s").pe_link, 2'250'000u);
  EXPECT_EQ(with("pe_link", "1000000B/s").pe_link, 1'000'000u);
  EXPECT_EQ(with("pe_link", "100000GB/s").pe_link, 100'000'000'000'000u);
}

TEST(HwParams, ClockUnits) {
  EXPECT_EQ(with("clock", "2GHz").clock_hz, 2'000'000'000u);
  EXPECT_EQ(with("clock", "1.5GHz").clock_hz, 1'500'000'000u);
  EXPECT_EQ(with("clock", "800MHz").clock_hz, 800'000'000u);
  EXPECT_EQ(with("clock", "933.5MHz").clock_hz, 933'500'000u);
  EXPECT_EQ(with("clock", "1000000Hz").clock_hz, 1'000'000u);
  EXPECT_EQ(with("clock_hz", "1GHz").clock_hz, 1'000'000'000u);  // member name as alias
}

TEST(HwParams, DurationUnits) {
  EXPECT_EQ(with("host_op", "2us").host_op_ns, 2'000u);
  EXPECT_EQ(with("host_op", "1.5us").host_op_ns, 1'500u);
  EXPECT_EQ(with("host_op", "750ns").host_op_ns, 750u);
  EXPECT_EQ(with("host_op", "0ns").host_op_ns, 0u);
  EXPECT_EQ(with("host_op", "0.25ms").host_op_ns, 250'000u);
  EXPECT_EQ(with("host_op", "1000ms").host_op_ns, 1'000'000'000u);
  EXPECT_EQ(with("host_op_ns", "3us").host_op_ns, 3'000u);
}

TEST(HwParams, ArrayDataflowAndCounts) {
  const HwParams a = with("array", "32x8");
  EXPECT_EQ(a.array_rows, 32);
  EXPECT_EQ(a.array_cols, 8);
  EXPECT_EQ(with("array_rows", "1024").array_rows, 1024);
  EXPECT_EQ(with("array_cols", "1").array_cols, 1);
  EXPECT_EQ(with("dataflow", "os").dataflow, Dataflow::kOutputStationary);
  EXPECT_EQ(with("dataflow", "ws").dataflow, Dataflow::kWeightStationary);
  EXPECT_EQ(with("num_pes", "4").num_pes, 4);
  EXPECT_EQ(with("num_pes", "1").num_pes, 1);
  EXPECT_EQ(with("vector_lanes", "128").vector_lanes, 128);
  EXPECT_EQ(with("dma_setup_cycles", "0").dma_setup_cycles, 0);
  EXPECT_EQ(with("matrix_issue_cycles", "3").matrix_issue_cycles, 3);
  EXPECT_EQ(with("vector_issue_cycles", "5").vector_issue_cycles, 5);
  EXPECT_EQ(with("num_semaphores", "256").num_semaphores, 256);
  EXPECT_EQ(with("watchdog_cycles", "5000").watchdog_cycles, 5000u);
  EXPECT_EQ(with("host_cores", "2").host_cores, 2);
}

TEST(HwParams, ApplyAssignmentTrimsSpaces) {
  HwParams p;
  apply_assignment(p, "sram_per_pe=8MiB");
  apply_assignment(p, "  dram_bandwidth =  33GB/s ");
  EXPECT_EQ(p.sram_per_pe, 8ull << 20);
  EXPECT_EQ(p.dram_bandwidth, 33'000'000'000u);
  for (const std::string bad : {"sram_per_pe", "=8MiB", ""}) {
    const std::string msg = error_of([&] { apply_assignment(p, bad); });
    EXPECT_NE(msg.find("\"" + bad + "\""), std::string::npos) << msg;
    EXPECT_NE(msg.find("key=value"), std::string::npos) << msg;
  }
}

TEST(HwParams, ExactMessageForWrongSizeUnit) {
  const std::string msg = error_of([] { with("sram_per_pe", "16MB"); });
  EXPECT_EQ(msg.rfind("bad value \"16MB\" for sram_per_pe: expected a size like 16MiB", 0), 0u)
      << msg;
}

TEST(HwParams, UnknownKeyListsKnownKeys) {
  const std::string msg = error_of([] { with("sram", "16MiB"); });
  EXPECT_EQ(msg.rfind("unknown hardware parameter \"sram\" (known: ", 0), 0u) << msg;
  for (const auto& [k, v] : describe(HwParams{})) EXPECT_NE(msg.find(k), std::string::npos) << k;
}

// Every bad value names the key, the value and why; the struct is unchanged.
TEST(HwParams, EveryErrorNamesKeyAndValue) {
  struct Bad {
    std::string key, value, why;
  };
  const std::vector<Bad> cases = {
      {"num_pes", "0", "between 1 and 4"},
      {"num_pes", "5", "between 1 and 4"},
      {"num_pes", "-1", "negative"},
      {"num_pes", "two", "integer"},
      {"num_pes", "2.5", "integer"},
      {"num_pes", "", "integer"},
      {"clock", "2", "frequency like 2GHz"},
      {"clock", "2Ghz", "frequency like 2GHz"},
      {"clock", "0Hz", "between 1MHz and 100GHz"},
      {"clock", "101GHz", "between 1MHz and 100GHz"},
      {"clock", "1.0000000001GHz", "whole number of Hz"},
      {"clock", "2.GHz", "frequency"},
      {"clock", ".5GHz", "frequency"},
      {"array", "64", "ROWSxCOLS"},
      {"array", "0x128", "between 1 and 1024"},
      {"array", "64x2048", "between 1 and 1024"},
      {"array", "64x128x2", "ROWSxCOLS"},
      {"array_rows", "1025", "between 1 and 1024"},
      {"array_cols", "0", "between 1 and 1024"},
      {"dataflow", "rs", "ws"},
      {"dataflow", "WS", "ws"},
      {"sram_per_pe", "16MB", "size like 16MiB"},
      {"sram_per_pe", "32KiB", "between 64KiB and 1GiB"},
      {"sram_per_pe", "2GiB", "between 64KiB and 1GiB"},
      {"sram_per_pe", "1.1B", "whole number of B"},
      {"sram_per_pe", "99999999999999999999999GiB", "too large"},
      {"dram_size", "512KiB", "between 1MiB and 1024GiB"},
      {"dram_bandwidth", "66", "bandwidth like 66GB/s"},
      {"dram_bandwidth", "66GiB/s", "bandwidth like 66GB/s"},
      {"dram_bandwidth", "0GB/s", "between 1MB/s and 100000GB/s"},
      {"host_link", "-15GB/s", "bandwidth"},
      {"pe_link", "0.5MB/s", "between 1MB/s"},
      {"vector_lanes", "0", "between 1 and 4096"},
      {"dma_setup_cycles", "1000001", "between 0 and 1000000"},
      {"dma_burst", "32", "between 64B and 16MiB"},
      {"matrix_issue_cycles", "-3", "negative"},
      {"vector_issue_cycles", "8cycles", "integer"},
      {"num_semaphores", "257", "between 1 and 256"},
      {"watchdog_cycles", "10", "between 1000 and"},
      {"host_cores", "0", "between 1 and 1024"},
      {"host_op", "2", "duration like 2us"},
      {"host_op", "2s", "duration like 2us"},
      {"host_op", "2000ms", "between 0ns and 1000ms"},
      {"host_op", "0.5ns", "whole number of ns"},
      {"preset", "huge", "unknown preset"},
  };
  for (const auto& c : cases) {
    HwParams p;
    const std::string msg = error_of([&] { set_param(p, c.key, c.value); });
    const std::string head = "bad value \"" + c.value + "\" for " + c.key + ": ";
    EXPECT_EQ(msg.rfind(head, 0), 0u) << c.key << "=" << c.value << " -> " << msg;
    EXPECT_NE(msg.find(c.why), std::string::npos) << c.key << "=" << c.value << " -> " << msg;
    EXPECT_EQ(p, HwParams{}) << "a failed set must not modify the struct";
  }
}

// operator== looks at every field: changing any one breaks equality.
TEST(HwParams, EqualityComparesEveryField) {
  const HwParams base;
  const HwParams odd = odd_params();
  std::vector<std::function<void(HwParams&)>> changes = {
      [](HwParams& p) { p.name = "small"; },
      [&](HwParams& p) { p.num_pes = odd.num_pes; },
      [&](HwParams& p) { p.clock_hz = odd.clock_hz; },
      [&](HwParams& p) { p.array_rows = odd.array_rows; },
      [&](HwParams& p) { p.array_cols = odd.array_cols; },
      [&](HwParams& p) { p.dataflow = odd.dataflow; },
      [&](HwParams& p) { p.sram_per_pe = odd.sram_per_pe; },
      [&](HwParams& p) { p.dram_size = odd.dram_size; },
      [&](HwParams& p) { p.dram_bandwidth = odd.dram_bandwidth; },
      [&](HwParams& p) { p.host_link = odd.host_link; },
      [&](HwParams& p) { p.pe_link = odd.pe_link; },
      [&](HwParams& p) { p.vector_lanes = odd.vector_lanes; },
      [&](HwParams& p) { p.dma_setup_cycles = odd.dma_setup_cycles; },
      [&](HwParams& p) { p.dma_burst = odd.dma_burst; },
      [&](HwParams& p) { p.matrix_issue_cycles = odd.matrix_issue_cycles; },
      [&](HwParams& p) { p.vector_issue_cycles = odd.vector_issue_cycles; },
      [&](HwParams& p) { p.num_semaphores = odd.num_semaphores; },
      [&](HwParams& p) { p.watchdog_cycles = odd.watchdog_cycles; },
      [&](HwParams& p) { p.host_cores = odd.host_cores; },
      [&](HwParams& p) { p.host_op_ns = odd.host_op_ns; },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    HwParams p = base;
    changes[i](p);
    EXPECT_FALSE(p == base) << "change #" << i;
  }
}

TEST(HwParams, FileWithCommentsBlankLinesAndPreset) {
  TempFile f(
      "# what-if: a bigger array\n"
      "\n"
      "preset = small   # start from the 16x16 configuration\n"
      "   array = 32x32\n"
      "dram_bandwidth=33GB/s\n"
      "\t\n");
  HwParams expected = preset("small");
  expected.array_rows = 32;
  expected.array_cols = 32;
  expected.dram_bandwidth = 33'000'000'000;
  EXPECT_EQ(load_params_file(f.path()), expected);
}

TEST(HwParams, EmptyFileIsWarboy) {
  TempFile f("# nothing\n");
  EXPECT_EQ(load_params_file(f.path()), HwParams{});
}

// File errors start with file:line and keep the key and value.
TEST(HwParams, FileErrorsNameFileAndLine) {
  struct Bad {
    std::string text, line, needle;
  };
  const std::vector<Bad> cases = {
      {"num_pes = 2\n# c\nsram = 1MiB\n", "3", "unknown hardware parameter \"sram\""},
      {"clock = 2GHz\nsram_per_pe = 16MB\n", "2", "bad value \"16MB\" for sram_per_pe"},
      {"num_pes = 2\npreset = small\n", "2", "preset must come before"},
      {"\n\njust words\n", "3", "expected key = value, got \"just words\""},
      {"host_cores = 4\nhost_cores = 8\n", "2", "duplicate key host_cores (first set on line 1)"},
  };
  for (const auto& c : cases) {
    TempFile f(c.text);
    const std::string msg = error_of([&] { load_params_file(f.path()); });
    EXPECT_EQ(msg.rfind(f.path() + ":" + c.line + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(c.needle), std::string::npos) << msg;
  }
}

TEST(HwParams, MissingFileIsNamed) {
  const std::string msg = error_of([] { load_params_file("/nonexistent/hw.txt"); });
  EXPECT_NE(msg.find("/nonexistent/hw.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

// Every numeric key in its base unit, for sweeps' result tables and formulas.
TEST(HwParams, ParamNumbersInBaseUnits) {
  HwParams p = preset("warboy");
  set_param(p, "host_op", "2.5us");
  std::vector<std::string> keys;
  for (const auto& n : param_numbers(p)) keys.push_back(n.key + ":" + n.unit);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "num_pes:", "clock:Hz", "array_rows:", "array_cols:", "sram_per_pe:B",
                      "dram_size:B", "dram_bandwidth:B/s", "host_link:B/s", "pe_link:B/s",
                      "vector_lanes:", "dma_setup_cycles:cycles", "dma_burst:B",
                      "matrix_issue_cycles:cycles", "vector_issue_cycles:cycles",
                      "num_semaphores:", "watchdog_cycles:cycles", "host_cores:", "host_op:ns"}));
  const auto value = [&](const std::string& key) {
    for (const auto& n : param_numbers(p))
      if (n.key == key) return n.value;
    return uint64_t(0);
  };
  EXPECT_EQ(value("sram_per_pe"), 16u << 20);
  EXPECT_EQ(value("dram_bandwidth"), 66'000'000'000u);
  EXPECT_EQ(value("clock"), 2'000'000'000u);
  EXPECT_EQ(value("array_cols"), 128u);
  EXPECT_EQ(value("host_op"), 2500u);
}

TEST(HwParams, QuantityTextTakesEveryUnitOfTheParameters) {
  EXPECT_EQ(parse_quantity_text("16MiB").value, 16u << 20);
  EXPECT_EQ(parse_quantity_text("16MiB").unit, "B");
  EXPECT_EQ(parse_quantity_text("15.75GB/s").value, 15'750'000'000u);
  EXPECT_EQ(parse_quantity_text("15.75GB/s").unit, "B/s");
  EXPECT_EQ(parse_quantity_text("1.5GHz").value, 1'500'000'000u);
  EXPECT_EQ(parse_quantity_text("2 us").value, 2000u);
  EXPECT_EQ(parse_quantity_text("2 us").unit, "ns");
  EXPECT_EQ(parse_quantity_text("64B").value, 64u);
  for (const char* bad : {"16MB", "66", "x", "0.5ns", ""}) {
    try {
      parse_quantity_text(bad);
      ADD_FAILURE() << bad;
    } catch (const ParamError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("\"") + bad + "\""), std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace npusim::isa
