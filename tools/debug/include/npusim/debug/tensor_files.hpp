// Tensors written to and read from a folder by tensor name. Tensor names are
// anything a model's exporter chose (TensorFlow exports have '/' and ':' and
// hundreds of characters), so files get safe names: the name's characters
// outside [A-Za-z0-9._-] become '_', long names are cut, and a name that was
// changed gets a hash of the original so two names never share a file. An
// index (index.json) maps every tensor name to its files.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "npusim/compiler/tensor.hpp"

namespace npusim::debug {

using compiler::Tensor;

// A file name stem (no extension) for tensor `name`: at most 120 bytes, only
// [A-Za-z0-9._-], never "", "." or "..", distinct for distinct names.
std::string safe_file_stem(const std::string& name);

// One tensor of a dump: its codes (int8/uint8, optional) and float values.
struct DumpEntry {
  std::string name;
  std::optional<Tensor> codes;   // as the device or executor produced them
  std::optional<Tensor> values;  // float32: dequantised codes, or a float tensor
  float scale = 1.0f;            // quantisation of the codes
  int32_t zero_point = 0;
};

// Writes every entry (STEM.npy for codes, STEM.float.npy for values) and
// index.json into `dir` (created if needed). Throws naming the file on failure.
void write_dump(const std::string& dir, const std::vector<DumpEntry>& entries);

// Plain files by tensor name (npusim run --output-dir): NAME.npy with '/'
// and ':' as '_' (as before index.json existed), or safe_file_stem(NAME).npy
// when that name is too long or already taken; index.json lists them.
struct NamedFile {
  std::string name;
  const Tensor* tensor = nullptr;
};
void write_named_files(const std::string& dir, const std::vector<NamedFile>& files);

// Reads a folder of .npy files by tensor name: through its index.json when
// there is one, else every NAME.npy (ONNX Runtime's tools/oracle/ort_run.js
// names files this way: characters outside [A-Za-z0-9._-] as '_'; such a
// file is found by its tensor's name with the same replacement). `names` are
// the tensors looked for; those without a file are absent from the result.
std::map<std::string, DumpEntry> read_dump(const std::string& dir,
                                           const std::vector<std::string>& names);

}  // namespace npusim::debug
