#include "npusim/runtime/model.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "compile_cache.hpp"
#include "npusim/common/files.hpp"
#include "npusim/common/limits.hpp"
#include "npusim/compiler/compile.hpp"
#include "npusim/compiler/graph.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/isa/verifier.hpp"
#include "npusim/runtime/errors.hpp"

namespace npusim::runtime {

namespace fs = std::filesystem;

namespace {

// The model file, within the size limit of its kind (docs/limits.md).
std::string read_model_file(const std::string& path) {
  const bool onnx = std::filesystem::path(path).extension() == ".onnx";
  try {
    return files::read_file(path, onnx ? limits::kMaxModelFileBytes : limits::kMaxProgramFileBytes,
                            onnx ? "an ONNX model" : "a program (.npub) file");
  } catch (const files::FileError& e) {
    throw RuntimeError(RuntimeErrorKind::kModel, e.what());
  }
}

bool is_onnx_path(const std::string& path) {
  return fs::path(path).extension() == ".onnx";
}

// FNV-1a: names what a model was loaded from in reports.
uint64_t fnv1a(const std::string& bytes, uint64_t h = 0xcbf29ce484222325ull) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string default_cache_dir() {
  if (const char* c = std::getenv("NPUSIM_CACHE"); c && *c) return std::string(c) + "/compiled";
  if (const char* h = std::getenv("HOME"); h && *h)
    return std::string(h) + "/.cache/npusim/compiled";
  return "";
}

isa::Program compile_onnx(const std::string& bytes, const std::string& path,
                          const ModelOptions& options) {
  compiler::ImportOptions import;
  import.input_shapes = options.input_shapes;
  import.batch = options.batch;
  compiler::CompileOptions compile;
  compile.batch = std::max(1, options.batch);
  compile.hw = options.hw;
  compile.target = options.target;
  compile.outputs = options.outputs;
  try {
    return compiler::compile(compiler::import_onnx_bytes(bytes, path, import), compile).program;
  } catch (const std::exception& e) {
    throw RuntimeError(RuntimeErrorKind::kModel, e.what());
  }
}

}  // namespace

std::string TensorDesc::describe() const {
  return name + ": " + std::string(compiler::dtype_name(dtype)) + " " +
         compiler::shape_string(shape) + (layout.empty() ? "" : " " + layout);
}

Model::~Model() = default;

std::shared_ptr<const Model> Model::load(const std::string& path, const ModelOptions& options) {
  const std::string bytes = read_model_file(path);
  std::shared_ptr<Model> model;
  if (is_onnx_path(path)) {
    model = load_onnx(bytes, path, options);
  } else {
    try {
      model = build(isa::deserialize({bytes.begin(), bytes.end()}, path), path, options.hw);
      if (options.batch > 0 && model->program().batch != options.batch)
        throw RuntimeError(RuntimeErrorKind::kModel,
                           path + " was compiled for batch " +
                               std::to_string(model->program().batch) + ", not " +
                               std::to_string(options.batch) + ": recompile it with --batch " +
                               std::to_string(options.batch) + " (or run it with its own batch)");
    } catch (const isa::ProgramError& e) {
      throw RuntimeError(RuntimeErrorKind::kModel, e.what());
    }
  }
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(fnv1a(bytes)));
  model->source_hash_ = hash;
  return model;
}

// Compiles through the compile cache (compile_cache.hpp): an entry is served
// only when the key stored in it matches; a fresh one is written atomically.
std::shared_ptr<Model> Model::load_onnx(const std::string& bytes, const std::string& path,
                                        const ModelOptions& options) {
  const std::string dir = options.cache_dir.empty() ? default_cache_dir() : options.cache_dir;
  std::optional<CompileCache> cache;
  if (!dir.empty() && dir != "none") cache.emplace(dir);
  const CompileKey key = compile_key(bytes, options);
  if (cache) {
    if (std::optional<isa::Program> cached = cache->find(key)) {
      try {
        std::shared_ptr<Model> model = build(std::move(*cached), path, options.hw);
        model->compiled_ = model->cache_hit_ = true;
        spdlog::info("runtime: {} from the compile cache ({})", path, cache->entry_path(key));
        return model;
      } catch (const std::exception& e) {
        spdlog::warn("runtime: ignoring compile-cache entry {}: {}", cache->entry_path(key),
                     e.what());
      }
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  isa::Program program = compile_onnx(bytes, path, options);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (cache) cache->store(key, program);
  std::shared_ptr<Model> model = build(std::move(program), path, options.hw);
  model->compiled_ = true;
  model->compile_ms_ = ms;
  return model;
}

std::shared_ptr<const Model> Model::from_program(isa::Program program, const std::string& origin,
                                                 const isa::HwParams& hw) {
  return build(std::move(program), origin, hw);
}

std::shared_ptr<Model> Model::build(isa::Program program, const std::string& origin,
                                    const isa::HwParams& hw) {
  std::shared_ptr<Model> m(new Model());
  m->origin_ = origin;
  m->program_ = std::move(program);
  try {
    isa::check_hardware(m->program_, hw);
    isa::verify_or_throw(m->program_, hw);
  } catch (const isa::ProgramError& e) {
    throw RuntimeError(RuntimeErrorKind::kModel, origin + ": " + e.what());
  }
  // The code fits `hw` (it agrees on every program-relevant parameter), and
  // from here on the program describes the device it runs on: the session's
  // host costs and the layer table's cycles use the device's clock, host
  // cores and bandwidths, not those of the machine it was first compiled for.
  m->program_.hw = hw;
  m->describe_io();
  m->import_cpu_segments();
  return m;
}

void Model::describe_io() {
  auto desc = [](const isa::TensorInfo& t) {
    TensorDesc d;
    d.name = t.name;
    d.shape = t.shape;
    d.dtype = compiler::dtype_from_name(t.dtype);
    d.layout = t.layout;
    d.scale = t.scale;
    d.zero_point = t.zero_point;
    return d;
  };
  for (const auto& t : program_.inputs) inputs_.push_back(desc(t));
  for (const auto& t : program_.outputs) outputs_.push_back(desc(t));
}

void Model::import_cpu_segments() {
  compiler::ImportOptions raw;
  raw.run_checker = false;  // our own subgraphs, possibly with npusim-domain ops
  raw.infer_shapes = false;
  for (size_t i = 0; i < program_.segments.size(); ++i) {
    const auto* cpu = std::get_if<isa::CpuSegment>(&program_.segments[i]);
    if (!cpu) continue;
    const std::string bytes(cpu->onnx.begin(), cpu->onnx.end());
    try {
      cpu_graphs_[i] = std::make_unique<compiler::Graph>(
          compiler::import_onnx_bytes(bytes, origin_ + " segment " + cpu->name, raw));
    } catch (const std::exception& e) {
      throw RuntimeError(RuntimeErrorKind::kModel, e.what());
    }
  }
}

const compiler::Graph& Model::cpu_graph(size_t index) const {
  return *cpu_graphs_.at(index);
}

const TensorDesc* Model::find_input(const std::string& name) const {
  for (const auto& t : inputs_)
    if (t.name == name) return &t;
  return nullptr;
}

const TensorDesc* Model::find_output(const std::string& name) const {
  for (const auto& t : outputs_)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace npusim::runtime
