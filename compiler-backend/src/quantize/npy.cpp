// .npy reading and writing (calibration.hpp): the header dictionary
// {'descr', 'fortran_order', 'shape'} and raw little-endian C-order data.
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "npusim/compiler/calibration.hpp"

namespace npusim::compiler {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw CompileError(path + ": " + why);
}

std::string header_field(const std::string& header, const std::string& key,
                         const std::string& path) {
  const std::regex re("'" + key + "'\\s*:\\s*('[^']*'|\\([^)]*\\)|True|False)");
  std::smatch m;
  if (!std::regex_search(header, m, re)) fail(path, "not a .npy file (no '" + key + "' in header)");
  return m[1];
}

Shape parse_shape(const std::string& tuple) {
  Shape s;
  std::stringstream ss(tuple.substr(1, tuple.size() - 2));
  std::string item;
  while (std::getline(ss, item, ','))
    if (item.find_first_not_of(" ") != std::string::npos) s.push_back(std::stoll(item));
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

Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    fail(path, "not a .npy file (no \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  const size_t len_bytes = major == 1 ? 2 : 4;
  size_t header_len = 0;
  for (size_t i = 0; i < len_bytes; ++i)
    header_len |= size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  const size_t data_at = 8 + len_bytes + header_len;
  if (major < 1 || major > 3 || data_at > bytes.size()) fail(path, "corrupt .npy header");
  const std::string header = bytes.substr(8 + len_bytes, header_len);
  const std::string descr = header_field(header, "descr", path);
  if (header_field(header, "fortran_order", path) != "False")
    fail(path, "Fortran-order .npy data is not supported (save it in C order)");
  const std::string type = descr.substr(1, descr.size() - 2);
  const Shape shape = parse_shape(header_field(header, "shape", path));
  Tensor t(dtype_of(type, path), shape);
  const bool f64 = type.size() == 3 && type.compare(1, 2, "f8") == 0;
  const size_t need = f64 ? t.bytes() * 2 : t.bytes();
  if (bytes.size() - data_at < need)
    fail(path, "has " + std::to_string(bytes.size() - data_at) + " data bytes, shape " +
                   shape_string(shape) + " needs " + std::to_string(need));
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
  std::ofstream out(path, std::ios::binary);
  const uint16_t len = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  out.put(static_cast<char>(len & 0xff));
  out.put(static_cast<char>(len >> 8));
  out << header;
  out.write(reinterpret_cast<const char*>(t.raw().data()), static_cast<std::streamsize>(t.bytes()));
  if (!out) fail(path, "cannot write");
}

}  // namespace npusim::compiler
