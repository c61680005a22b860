// The text assembler: one instruction or directive per line (syntax in
// docs/isa.md, "Text syntax"). Instructions are encoded as they are read, so
// every range error surfaces with its line number.
#include <charconv>
#include <functional>
#include <map>

#include "asm_text.hpp"
#include "npusim/isa/assembler.hpp"

namespace npusim::isa {
namespace {

using asmtext::Token;

class Assembler {
 public:
  explicit Assembler(std::string origin) : origin_(std::move(origin)) {
    program_.hw = preset("warboy");
    segment_.name = "main";
  }

  void line(int number, std::string_view text) {
    line_ = number;
    // Names, dtypes and layouts go into the .npub's JSON header, which is UTF-8.
    if (const size_t bad = asmtext::first_invalid_utf8(text); bad != std::string_view::npos)
      fail("not UTF-8 text (byte " + asmtext::hex_byte(static_cast<unsigned char>(text[bad])) +
           " at column " + std::to_string(bad + 1) + ")");
    std::vector<Token> tokens;
    try {
      tokens = asmtext::tokenize(text);
    } catch (const IsaError& e) {
      fail(e.what());
    }
    if (tokens.empty()) return;
    if (tokens[0].text.starts_with('.'))
      directive(tokens, text);
    else
      instruction(tokens);
  }

  Program finish() {
    for (const auto& t : program_.inputs) segment_.inputs.push_back(t.name);
    for (const auto& t : program_.outputs) segment_.outputs.push_back(t.name);
    program_.tensors = program_.inputs;
    program_.tensors.insert(program_.tensors.end(), program_.outputs.begin(),
                            program_.outputs.end());
    program_.segments.push_back(std::move(segment_));
    return std::move(program_);
  }

 private:
  [[noreturn]] void fail(const std::string& reason) const {
    throw IsaError(origin_ + ":" + std::to_string(line_) + ": " + reason);
  }

  int64_t integer(const std::string& text, const std::string& what) const {
    if (auto v = asmtext::parse_int(text)) return *v;
    fail("bad integer '" + text + "' for " + what);
  }

  uint64_t size(const std::string& text, const std::string& what) const {
    const int64_t v = integer(text, what);
    if (v < 0) fail(what + " must not be negative (got " + text + ")");
    return static_cast<uint64_t>(v);
  }

  // key=value arguments of a directive, checked against the allowed keys.
  std::map<std::string, std::string> arguments(const std::vector<Token>& tokens,
                                               std::initializer_list<std::string_view> keys) const {
    std::map<std::string, std::string> args;
    for (size_t i = 1; i < tokens.size(); ++i) {
      const auto& t = tokens[i];
      if (!t.has_value) fail(tokens[0].text + ": expected key=value, got '" + t.text + "'");
      if (std::find(keys.begin(), keys.end(), t.text) == keys.end())
        fail(tokens[0].text + ": unknown key '" + t.text + "'");
      if (!args.emplace(t.text, t.value).second)
        fail(tokens[0].text + ": key '" + t.text + "' given twice");
    }
    return args;
  }

  std::string single_argument(const std::vector<Token>& tokens) const {
    if (tokens.size() != 2 || tokens[1].has_value)
      fail(tokens[0].text + ": expects exactly one value");
    return tokens[1].text;
  }

  void directive(const std::vector<Token>& tokens, std::string_view raw) {
    using Handler = void (Assembler::*)(const std::vector<Token>&, std::string_view);
    static const std::map<std::string_view, Handler> handlers = {
        {".mode", &Assembler::mode},       {".batch", &Assembler::batch},
        {".segment", &Assembler::segment}, {".stream", &Assembler::stream},
        {".weights", &Assembler::weights}, {".scratch", &Assembler::scratch},
        {".io", &Assembler::io},           {".input", &Assembler::tensor},
        {".output", &Assembler::tensor},   {".hw", &Assembler::hw},
    };
    auto it = handlers.find(tokens[0].text);
    if (it == handlers.end()) fail("unknown directive '" + tokens[0].text + "'");
    (this->*(it->second))(tokens, raw);
  }

  void mode(const std::vector<Token>& tokens, std::string_view) {
    const std::string m = single_argument(tokens);
    if (m == "single")
      program_.mode = Mode::kSingle;
    else if (m == "fused")
      program_.mode = Mode::kFused;
    else
      fail(".mode: expected single or fused, got '" + m + "'");
  }

  void batch(const std::vector<Token>& tokens, std::string_view) {
    const int64_t n = integer(single_argument(tokens), ".batch");
    if (n < 1 || n > INT32_MAX)
      fail(".batch: must be a positive integer (got " + std::to_string(n) + ")");
    program_.batch = static_cast<int>(n);
  }

  void segment(const std::vector<Token>& tokens, std::string_view) {
    segment_.name = single_argument(tokens);
  }

  void stream(const std::vector<Token>& tokens, std::string_view) {
    auto args = arguments(tokens, {"slot", "engine"});
    if (!args.count("slot") || !args.count("engine")) fail(".stream: needs slot= and engine=");
    const int64_t slot = integer(args["slot"], ".stream slot");
    if (slot < 0 || slot > 1) fail(".stream: slot must be 0 or 1 (got " + args["slot"] + ")");
    auto engine = asmtext::parse_engine(args["engine"]);
    if (!engine)
      fail(".stream: engine must be load, compute or store (got '" + args["engine"] + "')");
    current_ = &segment_.streams[slot][static_cast<int>(*engine)];
  }

  void weights(const std::vector<Token>& tokens, std::string_view) {
    for (size_t i = 1; i < tokens.size(); ++i) {
      if (tokens[i].has_value || !asmtext::append_hex(tokens[i].text, segment_.weights))
        fail(".weights: expected hex bytes, got '" + tokens[i].text + "'");
    }
  }

  void scratch(const std::vector<Token>& tokens, std::string_view) {
    segment_.scratch_bytes = size(single_argument(tokens), ".scratch");
  }

  void io(const std::vector<Token>& tokens, std::string_view) {
    segment_.io_bytes = size(single_argument(tokens), ".io");
  }

  void tensor(const std::vector<Token>& tokens, std::string_view) {
    const std::string& d = tokens[0].text;
    auto args = arguments(tokens, {"name", "shape", "dtype", "layout", "scale", "zp", "offset"});
    if (!args.count("name")) fail(d + ": needs name=");
    TensorInfo t;
    t.name = args["name"];
    if (args.count("shape")) {
      auto shape = asmtext::parse_shape(args["shape"]);
      if (!shape) fail(d + ": bad shape '" + args["shape"] + "' (expected e.g. 1x8x8x16)");
      t.shape = *shape;
    }
    if (args.count("dtype")) t.dtype = args["dtype"];
    if (args.count("layout")) t.layout = args["layout"];
    if (args.count("scale")) {
      auto s = asmtext::parse_float(args["scale"]);
      if (!s) fail(d + ": bad scale '" + args["scale"] + "'");
      t.scale = *s;
    }
    if (args.count("zp")) {
      const int64_t zp = integer(args["zp"], d + " zp");
      if (zp < INT32_MIN || zp > INT32_MAX) fail(d + ": zp out of range (" + args["zp"] + ")");
      t.zero_point = static_cast<int32_t>(zp);
    }
    if (args.count("offset")) t.io_offset = size(args["offset"], d + " offset");
    (d == ".input" ? program_.inputs : program_.outputs).push_back(std::move(t));
  }

  // `.hw key=value`: the value is the rest of the line, so values with spaces
  // (as describe() may print them) survive.
  void hw(const std::vector<Token>& tokens, std::string_view raw) {
    const auto [key, value] = asmtext::split_assignment(asmtext::after_directive(raw));
    if (key.empty()) fail(".hw: expected key=value");
    try {
      set_param(program_.hw, key, value);
    } catch (const std::exception& e) {
      fail(std::string(".hw: ") + e.what());
    }
  }

  void instruction(const std::vector<Token>& tokens) {
    const std::string& mnemonic = tokens[0].text;
    if (tokens[0].has_value)
      fail("expected a mnemonic, got '" + mnemonic + "=" + tokens[0].value + "'");
    const OpcodeInfo* op = find_opcode(mnemonic);
    if (!op) fail("unknown mnemonic '" + mnemonic + "'");
    if (!current_) fail(mnemonic + ": no .stream selected (add .stream slot=0 engine=...)");
    Instruction in;
    in.op = op->opcode;
    std::array<bool, kNumFields> seen{};
    for (size_t i = 1; i < tokens.size(); ++i) {
      const Field f = field_of(*op, tokens[i]);
      if (seen[static_cast<size_t>(f)])
        fail(mnemonic + ": field '" + tokens[i].text + "' given twice");
      seen[static_cast<size_t>(f)] = true;
      in[f] = integer(tokens[i].value, mnemonic + " field '" + tokens[i].text + "'");
    }
    try {
      encode(in, *current_);
    } catch (const IsaError& e) {
      fail(e.what());
    }
  }

  Field field_of(const OpcodeInfo& op, const Token& t) const {
    const std::string m(op.mnemonic);
    if (!t.has_value) fail(m + ": expected field=value, got '" + t.text + "'");
    auto f = find_field(t.text);
    const bool in_op = f && std::any_of(op.fields.begin(), op.fields.end(),
                                        [&](const FieldSpec& s) { return s.field == *f; });
    if (!in_op) fail(m + ": unknown field '" + t.text + "'");
    return *f;
  }

  std::string origin_;
  int line_ = 0;
  Program program_;
  NpuSegment segment_;
  std::vector<uint32_t>* current_ = nullptr;
};

}  // namespace

Program assemble(const std::string& text, const std::string& origin) {
  Assembler a(origin);
  int number = 0;
  for (size_t begin = 0; begin <= text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    a.line(++number, std::string_view(text).substr(begin, end - begin));
    begin = end + 1;
  }
  return a.finish();
}

}  // namespace npusim::isa
