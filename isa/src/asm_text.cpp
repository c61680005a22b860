// Lexical layer of the assembly text form: tokens, numbers and quoting.
#include "asm_text.hpp"

#include <charconv>
#include <cstdio>
#include <limits>

namespace npusim::isa::asmtext {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads a quoted section starting after the opening quote; returns the
// index one past the closing quote.
size_t read_quoted(std::string_view line, size_t i, std::string& out) {
  for (; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') return i + 1;
    if (c == '\\' && i + 1 < line.size()) {
      const char e = line[++i];
      out += e == 'n' ? '\n' : e;
    } else {
      out += c;
    }
  }
  throw IsaError("unterminated quote");
}

}  // namespace

size_t first_invalid_utf8(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = byte(i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    // The sequence length and the range of its second byte (table 3-7).
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
      n = 2;
    else if (c == 0xe0)
      n = 3, lo = 0xa0;
    else if (c == 0xed)
      n = 3, hi = 0x9f;
    else if (c >= 0xe1 && c <= 0xef)
      n = 3;
    else if (c == 0xf0)
      n = 4, lo = 0x90;
    else if (c == 0xf4)
      n = 4, hi = 0x8f;
    else if (c >= 0xf1 && c <= 0xf3)
      n = 4;
    if (n == 0) return i;
    for (size_t k = 1; k < n; ++k) {
      if (i + k >= text.size()) return i;
      const unsigned char lower = k == 1 ? lo : 0x80, upper = k == 1 ? hi : 0xbf;
      if (byte(i + k) < lower || byte(i + k) > upper) return i;
    }
    i += n;
  }
  return std::string_view::npos;
}

std::string hex_byte(unsigned char b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 15];
}

std::vector<Token> tokenize(std::string_view line) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (true) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size() || line[i] == '#') break;
    Token t;
    while (i < line.size() && !is_space(line[i]) && line[i] != '#') {
      std::string& part = t.has_value ? t.value : t.text;
      const char c = line[i];
      if (c == '"') {
        i = read_quoted(line, i + 1, part);
      } else if (c == '=' && !t.has_value) {
        t.has_value = true;
        ++i;
      } else {
        part += c;
        ++i;
      }
    }
    tokens.push_back(std::move(t));
  }
  return tokens;
}

std::string after_directive(std::string_view line) {
  line = line.substr(0, line.find('#'));
  line = trim(line);
  size_t word_end = 0;
  while (word_end < line.size() && !is_space(line[word_end])) ++word_end;
  return std::string(trim(line.substr(word_end)));
}

std::pair<std::string, std::string> split_assignment(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos) return {};
  return {std::string(trim(text.substr(0, eq))), std::string(trim(text.substr(eq + 1)))};
}

std::optional<int64_t> parse_int(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  uint64_t magnitude = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (!negative) {
    if (magnitude > kMax) return std::nullopt;
    return static_cast<int64_t>(magnitude);
  }
  if (magnitude > kMax + 1) return std::nullopt;
  return static_cast<int64_t>(0 - magnitude);
}

std::optional<float> parse_float(std::string_view text) {
  float v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<std::vector<int64_t>> parse_shape(std::string_view text) {
  std::vector<int64_t> shape;
  if (text.empty()) return shape;
  while (true) {
    const size_t x = text.find('x');
    auto dim = parse_int(text.substr(0, x));
    if (!dim) return std::nullopt;
    shape.push_back(*dim);
    if (x == std::string_view::npos) return shape;
    text.remove_prefix(x + 1);
  }
}

std::optional<Engine> parse_engine(std::string_view text) {
  for (int e = 0; e < kNumEngines; ++e)
    if (engine_name(static_cast<Engine>(e)) == text) return static_cast<Engine>(e);
  return std::nullopt;
}

bool append_hex(std::string_view text, std::vector<uint8_t>& out) {
  if (text.size() % 2) return false;
  for (size_t i = 0; i < text.size(); i += 2) {
    const int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
  }
  for (size_t i = 0; i < text.size(); i += 2)
    out.push_back(static_cast<uint8_t>(hex_digit(text[i]) << 4 | hex_digit(text[i + 1])));
  return true;
}

std::string format_float(float v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

std::string format_shape(const std::vector<int64_t>& shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(shape[i]);
  }
  return s.empty() ? "\"\"" : s;
}

std::string format_field(FieldKind kind, int64_t v) {
  const bool address =
      kind == FieldKind::kSramAddr || kind == FieldKind::kDramAddr || kind == FieldKind::kHostAddr;
  if (!address) return std::to_string(v);
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string format_hex_bytes(const uint8_t* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    s += kDigits[data[i] >> 4];
    s += kDigits[data[i] & 15];
  }
  return s;
}

std::string quote(std::string_view s) {
  const bool plain = !s.empty() && s.find_first_of(" \t\r\n\f\v\"#=\\") == std::string_view::npos;
  if (plain) return std::string(s);
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return q + "\"";
}

}  // namespace npusim::isa::asmtext
