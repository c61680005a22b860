// .npy reading and writing (calibration.hpp): the header dictionary
// {'descr', 'fortran_order', 'shape'} and raw little-endian C-order data.
#include <charconv>
#include <cstring>
#include <map>
#include <sstream>

#include "npusim/common/files.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/compiler/calibration.hpp"

namespace npusim::compiler {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw CompileError(path + ": " + why);
}

// The value of 'key' in the header dictionary, as written: a quoted
// string, a tuple, True or False. (Scanned by hand rather than with
// std::regex, whose recursion a long crafted header can overflow.)
std::string header_field(const std::string& header, const std::string& key,
                         const std::string& path) {
  const std::string quoted = "'" + key + "'";
  size_t at = header.find(quoted);
  if (at != std::string::npos) at = header.find_first_not_of(" \t", at + quoted.size());
  if (at != std::string::npos && header[at] == ':') at = header.find_first_not_of(" \t", at + 1);
  if (at != std::string::npos) {
    const char open = header[at];
    const char close = open == '\'' ? '\'' : open == '(' ? ')' : 0;
    if (close) {
      const size_t end = header.find(close, at + 1);
      if (end != std::string::npos) return header.substr(at, end - at + 1);
    }
    for (const char* word : {"True", "False"})
      if (header.compare(at, std::strlen(word), word) == 0) return word;
  }
  fail(path, "not a .npy file (no '" + key + "' in header)");
}

Shape parse_shape(const std::string& tuple, const std::string& path) {
  Shape s;
  std::stringstream ss(tuple.substr(1, tuple.size() - 2));
  std::string item;
  while (std::getline(ss, item, ',')) {
    const size_t b = item.find_first_not_of(" ");
    if (b == std::string::npos) continue;
    const size_t e = item.find_last_not_of(" ");
    const std::string digits = item.substr(b, e - b + 1);
    int64_t d = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
    if (ec != std::errc() || end != digits.data() + digits.size() || d < 0)
      fail(path, "corrupt .npy header: shape " + limits::echo(tuple) + " has \"" +
                     limits::echo(digits) + "\", not a dimension");
    s.push_back(d);
  }
  return s;
}

// Tensor dtype of a descr such as '<f4'; float64 is read as float32 (narrowed
// by read_npy). Big-endian data is refused.
DType dtype_of(const std::string& descr, const std::string& path) {
  static const std::map<std::string, DType> types = {
      {"f4", DType::kFloat32}, {"f8", DType::kFloat32}, {"i1", DType::kInt8}, {"u1", DType::kUint8},
      {"i4", DType::kInt32},   {"i8", DType::kInt64},   {"b1", DType::kBool}};
  const bool little = descr.size() == 3 && std::string("<|=").find(descr[0]) != std::string::npos;
  auto it = little ? types.find(descr.substr(1)) : types.end();
  if (it == types.end())
    fail(path, "unsupported .npy dtype '" + descr +
                   "' (float32, float64, int8, uint8, int32, int64 or bool, little-endian)");
  return it->second;
}

}  // namespace

Tensor read_npy(const std::string& path, NpyFloat64 float64) {
  try {
    return parse_npy(files::read_file(path, limits::kMaxNpyFileBytes, "a .npy file"), path,
                     float64);
  } catch (const files::FileError& e) {
    throw CompileError(e.what());
  }
}

Tensor parse_npy(const std::string& bytes, const std::string& path, NpyFloat64 float64) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    fail(path, "not a .npy file (no \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  const size_t len_bytes = major == 1 ? 2 : 4;
  size_t header_len = 0;
  for (size_t i = 0; i < len_bytes && 8 + i < bytes.size(); ++i)
    header_len |= size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  const size_t data_at = 8 + len_bytes + header_len;
  if (major < 1 || major > 3 || data_at > bytes.size()) fail(path, "corrupt .npy header");
  const std::string header = bytes.substr(8 + len_bytes, header_len);
  const std::string descr = header_field(header, "descr", path);
  if (header_field(header, "fortran_order", path) != "False")
    fail(path, "Fortran-order .npy data is not supported (save it in C order)");
  if (descr.size() < 2 || descr.front() != '\'')
    fail(path, "corrupt .npy header: 'descr' is " + limits::echo(descr) + ", not a dtype string");
  const std::string type = descr.substr(1, descr.size() - 2);
  const bool f64 = type.size() == 3 && type.compare(1, 2, "f8") == 0;
  if (f64 && float64 == NpyFloat64::kRefuse)
    fail(path,
         "holds float64 data; model inputs are float32: save it as float32 "
         "(numpy: x.astype(np.float32)) rather than have it narrowed silently");
  const std::string shape_text = header_field(header, "shape", path);
  if (shape_text.front() != '(') fail(path, "corrupt .npy header: 'shape' is not a tuple");
  const Shape shape = parse_shape(shape_text, path);
  const DType dtype = dtype_of(type, path);
  uint64_t elements = 0;
  try {
    elements = limits::checked_elements(shape, f64 ? 8 : dtype_size(dtype), "the array");
  } catch (const limits::LimitError& e) {
    fail(path, e.what());
  }
  const uint64_t need = elements * (f64 ? 8 : dtype_size(dtype));
  if (bytes.size() - data_at < need)
    fail(path, "has " + std::to_string(bytes.size() - data_at) + " data bytes, shape " +
                   shape_string(shape) + " needs " + std::to_string(need));
  Tensor t(dtype, shape);
  if (f64) {
    auto out = t.as<float>();
    for (size_t i = 0; i < out.size(); ++i) {
      double d;
      std::memcpy(&d, bytes.data() + data_at + 8 * i, 8);
      out[i] = static_cast<float>(d);
    }
  } else if (t.bytes() > 0) {  // an empty tensor has no storage to copy into
    std::memcpy(t.raw().data(), bytes.data() + data_at, t.bytes());
  }
  return t;
}

void write_npy(const std::string& path, const Tensor& t) {
  static const std::map<DType, std::string> descr = {
      {DType::kFloat32, "<f4"}, {DType::kInt8, "|i1"},  {DType::kUint8, "|u1"},
      {DType::kInt32, "<i4"},   {DType::kInt64, "<i8"}, {DType::kBool, "|b1"}};
  std::string shape;
  for (int64_t d : t.shape()) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
  shape = "(" + shape + (t.shape().size() == 1 ? ",)" : ")");
  std::string header =
      "{'descr': '" + descr.at(t.dtype()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so the data starts on a 64-byte boundary, newline last.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  const uint16_t len = static_cast<uint16_t>(header.size());
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes.push_back(static_cast<char>(len & 0xff));
  bytes.push_back(static_cast<char>(len >> 8));
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(t.raw().data()), t.bytes());
  try {
    files::write_file(path, bytes);
  } catch (const files::FileError& e) {
    throw CompileError(e.what());
  }
}

}  // namespace npusim::compiler
