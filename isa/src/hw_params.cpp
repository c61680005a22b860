// Hardware parameters: presets, text parsing with units, files (docs/params.md).
//
// Numbers are parsed and printed in exact decimal integer arithmetic (never
// through double) so that describe() -> set_param() round-trips bit for bit.
#include "npusim/isa/hw_params.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <tuple>
#include <utility>

#include "npusim/common/files.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/isa/regmap.hpp"

namespace npusim::isa {
namespace {

__extension__ typedef unsigned __int128 uint128;

// The key and value being set, carried along so every error can name both.
struct Ctx {
  const std::string& key;
  const std::string& value;
};

[[noreturn]] void fail(const Ctx& c, const std::string& why) {
  throw ParamError("bad value \"" + limits::echo(c.value) + "\" for " + limits::echo(c.key) + ": " +
                   why);
}

// A family of units for one kind of quantity, largest unit first.
struct UnitSet {
  std::vector<std::pair<std::string_view, uint64_t>> units;
  bool binary;            // binary units print only when they divide the value
  bool plain_ok;          // a bare number means the base unit (bytes)
  std::string_view what;  // for messages: "a size like 16MiB"
};

const UnitSet kSize{{{"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}, {"B", 1}},
                    true,
                    true,
                    "a size like 16MiB (units GiB, MiB, KiB, B)"};
// Bare numbers are refused for rates and durations: "66" could mean B/s or
// GB/s, and a silent factor of 10^9 is the worst kind of what-if mistake.
const UnitSet kBandwidth{{{"GB/s", 1'000'000'000}, {"MB/s", 1'000'000}, {"B/s", 1}},
                         false,
                         false,
                         "a bandwidth like 66GB/s (units GB/s, MB/s, B/s)"};
const UnitSet kFrequency{{{"GHz", 1'000'000'000}, {"MHz", 1'000'000}, {"Hz", 1}},
                         false,
                         false,
                         "a frequency like 2GHz (units GHz, MHz, Hz)"};
const UnitSet kDuration{{{"ms", 1'000'000}, {"us", 1'000}, {"ns", 1}},
                        false,
                        false,
                        "a duration like 2us (units ms, us, ns)"};

bool all_digits(std::string_view s) {
  for (char ch : s)
    if (ch < '0' || ch > '9') return false;
  return true;
}

enum class Scaled { kOk, kMalformed, kFractional, kTooLarge };

// "D[.D]" times `factor`, exactly, into `out`.
Scaled scale_decimal(std::string_view num, uint64_t factor, uint64_t& out) {
  const size_t dot = num.find('.');
  const std::string_view ip = num.substr(0, dot);
  const std::string_view fp = dot == std::string_view::npos ? "" : num.substr(dot + 1);
  if (ip.empty() || !all_digits(ip) || !all_digits(fp)) return Scaled::kMalformed;
  if (dot != std::string_view::npos && fp.empty()) return Scaled::kMalformed;  // "2." is a typo
  if (ip.size() > 20 || fp.size() > 18) return Scaled::kTooLarge;
  uint128 i = 0, f = 0, pow10 = 1;
  for (char ch : ip) i = i * 10 + uint128(ch - '0');
  for (char ch : fp) {
    f = f * 10 + uint128(ch - '0');
    pow10 *= 10;
  }
  const uint128 frac = f * factor;
  if (frac % pow10 != 0) return Scaled::kFractional;
  const uint128 total = i * factor + frac / pow10;
  if (total > UINT64_MAX) return Scaled::kTooLarge;
  out = static_cast<uint64_t>(total);
  return Scaled::kOk;
}

// Exact decimal text of v / factor, e.g. (15'750'000'000, 10^9) -> "15.75".
std::string decimal_text(uint64_t v, uint64_t factor) {
  std::string s = std::to_string(v / factor);
  uint64_t rem = v % factor;
  if (rem == 0) return s;
  std::string frac;
  for (uint64_t f = factor; f > 1; f /= 10) {
    frac.push_back(char('0' + rem * 10 / factor));
    rem = rem * 10 % factor;
  }
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return s + "." + frac;
}

std::string format_quantity(uint64_t v, const UnitSet& u) {
  for (const auto& [suffix, factor] : u.units) {
    const bool fits = u.binary ? v % factor == 0 : v >= factor;
    if (fits && v != 0) return decimal_text(v, factor) + std::string(suffix);
  }
  const auto& base = u.units.back();
  return decimal_text(v, base.second) + std::string(base.first);
}

uint64_t parse_quantity(const Ctx& c, const UnitSet& u) {
  const std::string_view text = c.value;
  const size_t split = text.find_first_not_of("0123456789.");
  const std::string_view num = text.substr(0, split);
  std::string_view suffix = split == std::string_view::npos ? "" : text.substr(split);
  while (!suffix.empty() && suffix.front() == ' ') suffix.remove_prefix(1);
  std::optional<uint64_t> factor;
  if (suffix.empty() && u.plain_ok) factor = 1;
  for (const auto& [name, f] : u.units)
    if (suffix == name) factor = f;
  if (!factor) fail(c, "expected " + std::string(u.what));
  uint64_t v = 0;
  switch (scale_decimal(num, *factor, v)) {
    case Scaled::kOk:
      return v;
    case Scaled::kMalformed:
      fail(c, "expected " + std::string(u.what));
    case Scaled::kFractional:
      fail(c, "not a whole number of " + std::string(u.units.back().first));
    case Scaled::kTooLarge:
      break;
  }
  fail(c, "too large");
}

uint64_t in_range(const Ctx& c, uint64_t v, uint64_t lo, uint64_t hi, const UnitSet* u) {
  if (v < lo || v > hi) {
    const auto show = [u](uint64_t x) { return u ? format_quantity(x, *u) : std::to_string(x); };
    fail(c, "must be between " + show(lo) + " and " + show(hi));
  }
  return v;
}

uint64_t parse_quantity(const Ctx& c, const UnitSet& u, uint64_t lo, uint64_t hi) {
  return in_range(c, parse_quantity(c, u), lo, hi, &u);
}

uint64_t parse_count(const Ctx& c, uint64_t lo, uint64_t hi) {
  uint64_t v = 0;
  const char* end = c.value.data() + c.value.size();
  const auto [ptr, ec] = std::from_chars(c.value.data(), end, v);
  if (c.value.empty() || ec != std::errc() || ptr != end) {
    if (!c.value.empty() && c.value[0] == '-') fail(c, "must not be negative");
    fail(c, "expected a plain integer (no units)");
  }
  return in_range(c, v, lo, hi, nullptr);
}

std::pair<int, int> parse_array(const Ctx& c) {
  const size_t x = c.value.find('x');
  if (x == std::string::npos) fail(c, "expected ROWSxCOLS like 64x128");
  const std::string rows = c.value.substr(0, x), cols = c.value.substr(x + 1);
  const Ctx rc{c.key, rows}, cc{c.key, cols};
  try {
    return {int(parse_count(rc, 1, 1024)), int(parse_count(cc, 1, 1024))};
  } catch (const ParamError&) {
    fail(c, "expected ROWSxCOLS like 64x128, each between 1 and 1024");
  }
}

std::string dataflow_text(Dataflow d) {
  return d == Dataflow::kWeightStationary ? "ws" : "os";
}

// One text key: how to set it and how to print it (print == nullptr: an alias
// that describe() does not list), and for numeric keys its value as a number
// in the base unit `unit` (number == nullptr: not a number, e.g. dataflow).
struct KeyDef {
  std::string_view name;
  std::function<void(HwParams&, const Ctx&)> set;
  std::function<std::string(const HwParams&)> print;
  std::function<uint64_t(const HwParams&)> number = nullptr;
  std::string_view unit = "";
};

constexpr uint64_t kKiB = 1ull << 10, kMiB = 1ull << 20, kGiB = 1ull << 30;
constexpr uint64_t kMBps = 1'000'000, kTBps = 1'000'000'000'000;

// Setter and printer for a quantity member with bounds.
template <typename T>
KeyDef quantity_key(std::string_view name, T HwParams::*m, const UnitSet& u, uint64_t lo,
                    uint64_t hi) {
  return {name,
          [m, &u, lo, hi](HwParams& p, const Ctx& c) { p.*m = T(parse_quantity(c, u, lo, hi)); },
          [m, &u](const HwParams& p) { return format_quantity(uint64_t(p.*m), u); },
          [m](const HwParams& p) { return uint64_t(p.*m); }, u.units.back().first};
}

// `unit` names what the count counts ("cycles"), or "" for a plain number.
template <typename T>
KeyDef count_key(std::string_view name, T HwParams::*m, uint64_t lo, uint64_t hi,
                 std::string_view unit = "") {
  return {name, [m, lo, hi](HwParams& p, const Ctx& c) { p.*m = T(parse_count(c, lo, hi)); },
          [m](const HwParams& p) { return std::to_string(p.*m); },
          [m](const HwParams& p) { return uint64_t(p.*m); }, unit};
}

// Another name for `target`: settable, not printed, not a number of its own.
KeyDef alias(std::string_view name, KeyDef target) {
  return {name, target.set, nullptr};
}

// A key describe() does not print that still has a number (array_rows, array_cols).
KeyDef numeric_alias(std::string_view name, KeyDef target) {
  target.name = name;
  target.print = nullptr;
  return target;
}

std::vector<KeyDef> build_keys() {
  std::vector<KeyDef> k;
  k.push_back({"preset",
               [](HwParams& p, const Ctx& c) {
                 try {
                   p = preset(c.value);
                 } catch (const ParamError&) {
                   std::string known;
                   for (const auto& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
                   fail(c, "unknown preset (known: " + known + ")");
                 }
               },
               [](const HwParams& p) { return p.name; }});
  k.push_back(count_key("num_pes", &HwParams::num_pes, 1, reg::kMaxPes));
  const KeyDef clock =
      quantity_key("clock", &HwParams::clock_hz, kFrequency, 1'000'000, 100'000'000'000);
  const KeyDef host_op =
      quantity_key("host_op", &HwParams::host_op_ns, kDuration, 0, 1'000'000'000);
  k.push_back(clock);
  k.push_back(
      {"array",
       [](HwParams& p, const Ctx& c) { std::tie(p.array_rows, p.array_cols) = parse_array(c); },
       [](const HwParams& p) {
         return std::to_string(p.array_rows) + "x" + std::to_string(p.array_cols);
       }});
  k.push_back(numeric_alias("array_rows", count_key("", &HwParams::array_rows, 1, 1024)));
  k.push_back(numeric_alias("array_cols", count_key("", &HwParams::array_cols, 1, 1024)));
  k.push_back({"dataflow",
               [](HwParams& p, const Ctx& c) {
                 if (c.value == "ws")
                   p.dataflow = Dataflow::kWeightStationary;
                 else if (c.value == "os")
                   p.dataflow = Dataflow::kOutputStationary;
                 else
                   fail(c, "expected ws (weight stationary) or os (output stationary)");
               },
               [](const HwParams& p) { return dataflow_text(p.dataflow); }});
  k.push_back(quantity_key("sram_per_pe", &HwParams::sram_per_pe, kSize, 64 * kKiB, kGiB));
  k.push_back(quantity_key("dram_size", &HwParams::dram_size, kSize, kMiB, 1024 * kGiB));
  k.push_back(
      quantity_key("dram_bandwidth", &HwParams::dram_bandwidth, kBandwidth, kMBps, 100 * kTBps));
  k.push_back(quantity_key("host_link", &HwParams::host_link, kBandwidth, kMBps, 100 * kTBps));
  k.push_back(quantity_key("pe_link", &HwParams::pe_link, kBandwidth, kMBps, 100 * kTBps));
  k.push_back(count_key("vector_lanes", &HwParams::vector_lanes, 1, 4096));
  k.push_back(count_key("dma_setup_cycles", &HwParams::dma_setup_cycles, 0, 1'000'000, "cycles"));
  k.push_back(quantity_key("dma_burst", &HwParams::dma_burst, kSize, 64, 16 * kMiB));
  k.push_back(
      count_key("matrix_issue_cycles", &HwParams::matrix_issue_cycles, 0, 1'000'000, "cycles"));
  k.push_back(
      count_key("vector_issue_cycles", &HwParams::vector_issue_cycles, 0, 1'000'000, "cycles"));
  k.push_back(count_key("num_semaphores", &HwParams::num_semaphores, 1, 256));  // 8-bit field
  k.push_back(count_key("watchdog_cycles", &HwParams::watchdog_cycles, 1'000, 1'000'000'000'000'000,
                        "cycles"));
  k.push_back(count_key("host_cores", &HwParams::host_cores, 1, 1024));
  k.push_back(host_op);
  // The struct member names work too, with the same text syntax.
  k.push_back(alias("clock_hz", clock));
  k.push_back(alias("host_op_ns", host_op));
  return k;
}

const std::vector<KeyDef>& keys() {
  static const std::vector<KeyDef> k = build_keys();
  return k;
}

const KeyDef* find_key(const std::string& name) {
  for (const auto& k : keys())
    if (k.name == name) return &k;
  return nullptr;
}

std::string known_keys() {
  std::string s;
  for (const auto& k : keys()) s += (s.empty() ? "" : ", ") + std::string(k.name);
  return s;
}

std::string trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// Splits "key = value"; nullopt when there is no '=' or no key.
std::optional<std::pair<std::string, std::string>> split_assignment(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  std::string key = trim(text.substr(0, eq));
  if (key.empty()) return std::nullopt;
  return std::make_pair(std::move(key), trim(text.substr(eq + 1)));
}

}  // namespace

std::vector<std::string> preset_names() {
  return {"warboy", "small"};
}

HwParams preset(const std::string& name) {
  HwParams p;
  if (name == "warboy") return p;
  if (name == "small") {  // SCALE-Sim-comparable: its default arrays are 16x16 to 32x32
    p.name = "small";
    p.array_rows = 16;
    p.array_cols = 16;
    return p;
  }
  throw ParamError("unknown preset \"" + name + "\" (known: warboy, small)");
}

void set_param(HwParams& params, const std::string& key, const std::string& value) {
  const KeyDef* k = find_key(key);
  if (!k)
    throw ParamError("unknown hardware parameter \"" + limits::echo(key) +
                     "\" (known: " + known_keys() + ")");
  HwParams updated = params;  // leave params untouched when the value is bad
  k->set(updated, Ctx{key, value});
  params = std::move(updated);
}

void apply_assignment(HwParams& params, const std::string& assignment) {
  const auto kv = split_assignment(assignment);
  if (!kv)
    throw ParamError("bad assignment \"" + limits::echo(assignment) + "\": expected key=value");
  set_param(params, kv->first, kv->second);
}

HwParams load_params_file(const std::string& path) {
  std::string contents;
  try {
    contents = files::read_file(path, limits::kMaxParamFileBytes, "a hardware parameter file");
  } catch (const files::FileError& e) {
    throw ParamError(e.what());
  }
  return parse_params_text(contents, path);
}

HwParams parse_params_text(const std::string& contents, const std::string& path) {
  std::istringstream in(contents);
  HwParams p;
  std::map<std::string, int> seen;  // key -> line, to catch accidental repeats
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string where = path + ":" + std::to_string(n) + ": ";
    const std::string text = trim(line.substr(0, line.find('#')));
    if (text.empty()) continue;
    const auto kv = split_assignment(text);
    if (!kv) throw ParamError(where + "expected key = value, got \"" + limits::echo(text) + "\"");
    if (kv->first == "preset" && !seen.empty())
      throw ParamError(where + "preset must come before every other key (it resets them all)");
    if (const auto it = seen.find(kv->first); it != seen.end())
      throw ParamError(where + "duplicate key " + kv->first + " (first set on line " +
                       std::to_string(it->second) + ")");
    seen.emplace(kv->first, n);
    try {
      set_param(p, kv->first, kv->second);
    } catch (const ParamError& e) {
      throw ParamError(where + e.what());
    }
  }
  return p;
}

std::vector<std::pair<std::string, std::string>> describe(const HwParams& params) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : keys())
    if (k.print) out.emplace_back(std::string(k.name), k.print(params));
  return out;
}

std::string to_text(const HwParams& params) {
  std::string s = "# npusim hardware parameters (docs/params.md)\n";
  for (const auto& [k, v] : describe(params)) s += k + " = " + v + "\n";
  return s;
}

std::vector<ParamNumber> param_numbers(const HwParams& params) {
  std::vector<ParamNumber> out;
  for (const auto& k : keys())
    if (k.number) out.push_back({std::string(k.name), k.number(params), std::string(k.unit)});
  return out;
}

Quantity parse_quantity_text(const std::string& text) {
  const size_t split = text.find_first_not_of("0123456789.");
  std::string_view suffix = split == std::string::npos ? "" : std::string_view(text).substr(split);
  while (!suffix.empty() && suffix.front() == ' ') suffix.remove_prefix(1);
  for (const UnitSet* u : {&kSize, &kBandwidth, &kFrequency, &kDuration})
    for (const auto& unit : u->units)
      if (suffix == unit.first)
        return {parse_quantity(Ctx{"a quantity", text}, *u), std::string(u->units.back().first)};
  throw ParamError("bad quantity \"" + text +
                   "\": expected a number with a unit (GiB, MiB, KiB, B, GB/s, MB/s, B/s, GHz, "
                   "MHz, Hz, ms, us, ns)");
}

const std::vector<std::string>& program_relevant_keys() {
  // What the compiler plans code with (tile sizes from the array and the
  // SRAM, SRAM addresses, semaphore numbers, PE slots) and what the verifier
  // checks the code against. Everything else (clock, bandwidths, sizes of
  // DRAM and bursts, issue costs, host figures) only changes how long the
  // same code takes. Keep in step with compiler-backend: the test
  // ProgramRelevantKeys.OtherParametersDoNotChangeTheProgram fails when the
  // compiler starts reading another parameter.
  static const std::vector<std::string> k = {"num_pes", "array", "dataflow", "sram_per_pe",
                                             "num_semaphores"};
  return k;
}

std::optional<ParamDifference> program_difference(const HwParams& compiled,
                                                  const HwParams& device) {
  const auto want = describe(compiled), have = describe(device);
  const auto& relevant = program_relevant_keys();
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::find(relevant.begin(), relevant.end(), want[i].first) == relevant.end()) continue;
    if (want[i].second != have[i].second)
      return ParamDifference{want[i].first, want[i].second, have[i].second};
  }
  return std::nullopt;
}

std::string program_relevant_text(const HwParams& params) {
  const auto& relevant = program_relevant_keys();
  std::string s;
  for (const auto& [key, value] : describe(params))
    if (std::find(relevant.begin(), relevant.end(), key) != relevant.end())
      s += key + "=" + value + "\n";
  return s;
}

bool operator==(const HwParams& a, const HwParams& b) {
  const auto fields = [](const HwParams& p) {
    return std::tie(p.name, p.num_pes, p.clock_hz, p.array_rows, p.array_cols, p.dataflow,
                    p.sram_per_pe, p.dram_size, p.dram_bandwidth, p.host_link, p.pe_link,
                    p.vector_lanes, p.dma_setup_cycles, p.dma_burst, p.matrix_issue_cycles,
                    p.vector_issue_cycles, p.num_semaphores, p.watchdog_cycles, p.host_cores,
                    p.host_op_ns);
  };
  return fields(a) == fields(b);
}

uint64_t clock_period_ps(uint64_t clock_hz) {
  if (clock_hz == 0) return 1;
  return std::max<uint64_t>(1, (1'000'000'000'000ull + clock_hz / 2) / clock_hz);
}

}  // namespace npusim::isa
