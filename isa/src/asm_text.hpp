// Internal: the lexical layer of the assembly text form (tokens, numbers,
// quoting), shared by the assembler and the disassembler so that what one
// prints the other reads back exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "npusim/isa/instruction.hpp"

namespace npusim::isa::asmtext {

// A whitespace-separated word, split at its first unquoted '=' into
// text=value. Double quotes group characters (\" and \\ escape inside).
struct Token {
  std::string text;
  bool has_value = false;
  std::string value;
};

// The index of the first byte of `text` that does not start or continue a
// well-formed UTF-8 sequence (Unicode table 3-7: no overlong forms, no
// surrogates, nothing past U+10FFFF), or npos if the text is valid.
size_t first_invalid_utf8(std::string_view text);
// "0xff"
std::string hex_byte(unsigned char b);

// Splits one line into tokens; '#' outside quotes starts a comment.
// Throws IsaError on an unterminated quote.
std::vector<Token> tokenize(std::string_view line);

// The line after its directive word, comment removed, trimmed.
std::string after_directive(std::string_view line);

// "key=value" -> {key, value}, both trimmed; key empty if there is no '='.
std::pair<std::string, std::string> split_assignment(std::string_view text);

// Decimal or 0x hex, optionally signed; nullopt if malformed or out of range.
std::optional<int64_t> parse_int(std::string_view text);
std::optional<float> parse_float(std::string_view text);
// "1x8x8x16" -> {1, 8, 8, 16}; "" -> {} (a scalar).
std::optional<std::vector<int64_t>> parse_shape(std::string_view text);
std::optional<Engine> parse_engine(std::string_view text);
// Appends the bytes of an even-length hex string; false if malformed.
bool append_hex(std::string_view text, std::vector<uint8_t>& out);

// Shortest text that parse_float reads back to the same float.
std::string format_float(float v);
std::string format_shape(const std::vector<int64_t>& shape);
// Hex for address kinds, decimal otherwise.
std::string format_field(FieldKind kind, int64_t v);
std::string format_hex_bytes(const uint8_t* data, size_t n);
// `s` as a token that tokenize() returns unchanged (quoted only if needed).
std::string quote(std::string_view s);

}  // namespace npusim::isa::asmtext
