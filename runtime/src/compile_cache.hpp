// The compile cache: programs compiled from ONNX kept on disk, one file per
// key (docs/runtime.md, "Compile cache").
//
// The key is everything the compiled program depends on: the model's bytes
// (hash and size), the compile options, the program-relevant hardware
// parameters (isa::program_relevant_keys(), so a bandwidth or clock sweep
// compiles once) and the compiler's build id. Each entry stores its whole key
// text next to the program and is served only when that text matches, so a
// file copied or renamed under another key is never run. Entries are written
// to a temporary and renamed into place; temporaries left by a killed writer
// are removed when the cache is opened.
#pragma once

#include <optional>
#include <string>

#include "npusim/isa/program.hpp"
#include "npusim/runtime/model.hpp"

namespace npusim::runtime {

struct CompileKey {
  std::string text;  // the full key, one "name value" line per part
  std::string hash;  // 16 hex digits of the text's hash: the entry's file name
};

// The key of compiling `model_bytes` with `options`.
CompileKey compile_key(const std::string& model_bytes, const ModelOptions& options);

// The build id of the code that compiles (the GNU build-id note of the binary
// holding the compiler), or, without one, the executable's path, size and time.
const std::string& compiler_build_id();

class CompileCache {
 public:
  // Opens (creating if needed) the cache in `dir` and removes stale
  // temporaries: those of this host whose writer process is gone, and any
  // older than a day (a writer on another host sharing the directory).
  explicit CompileCache(std::string dir);

  // The entry's program when its stored key equals `key`; nullopt when there
  // is none, or (with a warning naming the file) when it is damaged or was
  // written for another key.
  std::optional<isa::Program> find(const CompileKey& key) const;

  // Writes the entry through a temporary in the same directory renamed into
  // place; a failure is a warning (the program still runs, uncached).
  void store(const CompileKey& key, const isa::Program& program) const;

  std::string entry_path(const CompileKey& key) const;

 private:
  void remove_stale_temporaries() const;
  std::string dir_;
};

}  // namespace npusim::runtime
