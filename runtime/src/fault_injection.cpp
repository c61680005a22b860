#include "npusim/runtime/fault_injection.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

#include "npusim/common/limits.hpp"
#include "npusim/runtime/errors.hpp"

namespace npusim::runtime {
namespace {

using isa::reg::FaultKind;

const std::vector<std::pair<FaultKind, std::string>>& kinds() {
  static const std::vector<std::pair<FaultKind, std::string>> k = {
      {FaultKind::kDmaError, "dma-error"},
      {FaultKind::kIllegalInstruction, "illegal-instruction"},
      {FaultKind::kWatchdog, "watchdog"},
      {FaultKind::kStuckEngine, "stuck-engine"},
      {FaultKind::kHostLinkError, "host-link-error"}};
  return k;
}

[[noreturn]] void bad(const std::string& spec, const std::string& why) {
  throw RuntimeError(RuntimeErrorKind::kInvalidInput,
                     "--inject " + limits::echo(spec) + ": " + why +
                         " (KIND@WHEN: KIND dma-error, illegal-instruction, watchdog, "
                         "stuck-engine or host-link-error; WHEN request:N, instruction:N, "
                         "random or random:P)");
}

uint64_t count(const std::string& spec, const std::string& text) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    bad(spec, "\"" + limits::echo(text) + "\" is not a count");
  return v;
}

}  // namespace

bool FaultInjection::hits(uint64_t request, int attempt) const {
  if (!*this) return false;
  if (when == When::kRequest) return request == n && attempt == 0;
  if (when != When::kRandom) return false;
  // splitmix64 of the three: uniform, and independent of submission order.
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + request * 0xBF58476D1CE4E5B9ull +
               uint64_t(attempt) * 0x94D049BB133111EBull + 0x2545F4914F6CDD1Dull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return double(z >> 11) * 0x1.0p-53 < probability;
}

std::string fault_kind_name(FaultKind kind) {
  for (const auto& [k, name] : kinds())
    if (k == kind) return name;
  return "none";
}

FaultInjection parse_fault_injection(const std::string& spec, uint32_t seed) {
  const size_t at = spec.find('@');
  if (at == std::string::npos) bad(spec, "no @");
  FaultInjection f;
  f.seed = seed;
  const std::string kind = spec.substr(0, at), when = spec.substr(at + 1);
  for (const auto& [k, name] : kinds())
    if (name == kind) f.kind = k;
  if (!f) bad(spec, "unknown kind \"" + limits::echo(kind) + "\"");
  const size_t colon = when.find(':');
  const std::string what = when.substr(0, colon);
  const std::string value = colon == std::string::npos ? "" : when.substr(colon + 1);
  if (what == "request" && colon != std::string::npos) {
    f.when = FaultInjection::When::kRequest;
    f.n = count(spec, value);
  } else if (what == "instruction" && colon != std::string::npos) {
    f.when = FaultInjection::When::kInstruction;
    f.n = count(spec, value);
  } else if (what == "random") {
    f.when = FaultInjection::When::kRandom;
    if (colon != std::string::npos) {
      size_t used = 0;
      try {
        f.probability = std::stod(value, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != value.size() || !(f.probability > 0 && f.probability <= 1))
        bad(spec, "the probability must be a number in (0, 1]");
    }
  } else {
    bad(spec, "unknown WHEN \"" + limits::echo(when) + "\"");
  }
  return f;
}

std::string to_string(const FaultInjection& f) {
  std::string when;
  switch (f.when) {
    case FaultInjection::When::kRequest:
      when = "request:" + std::to_string(f.n);
      break;
    case FaultInjection::When::kInstruction:
      when = "instruction:" + std::to_string(f.n);
      break;
    case FaultInjection::When::kRandom: {
      char p[32];
      std::snprintf(p, sizeof p, "%g", f.probability);
      when = "random:" + std::string(p);
      break;
    }
  }
  return fault_kind_name(f.kind) + "@" + when;
}

}  // namespace npusim::runtime
