// The disassembler: prints instructions and programs in the text form the
// assembler reads (docs/isa.md, "Text syntax"), so the two round-trip.
#include <sstream>

#include "asm_text.hpp"
#include "npusim/isa/assembler.hpp"

namespace npusim::isa {
namespace {

constexpr size_t kWeightBytesPerLine = 32;

const NpuSegment* first_npu_segment(const Program& p) {
  for (const auto& s : p.segments)
    if (const auto* npu = std::get_if<NpuSegment>(&s)) return npu;
  return nullptr;
}

// Only parameters that differ from the warboy preset are printed: the
// assembler starts from that preset.
void print_hw(std::ostream& os, const HwParams& hw) {
  const auto base = describe(preset("warboy"));
  for (const auto& [key, value] : describe(hw)) {
    bool same = false;
    for (const auto& [k, v] : base) same = same || (k == key && v == value);
    if (!same) os << ".hw " << key << "=" << value << "\n";
  }
}

void print_tensor(std::ostream& os, const char* directive, const TensorInfo& t) {
  using namespace asmtext;
  os << directive << " name=" << quote(t.name) << " shape=" << format_shape(t.shape)
     << " dtype=" << quote(t.dtype) << " layout=" << quote(t.layout)
     << " scale=" << format_float(t.scale) << " zp=" << t.zero_point << " offset=" << t.io_offset
     << "\n";
}

void print_weights(std::ostream& os, const std::vector<uint8_t>& w) {
  for (size_t i = 0; i < w.size(); i += kWeightBytesPerLine) {
    const size_t n = std::min(kWeightBytesPerLine, w.size() - i);
    os << ".weights " << asmtext::format_hex_bytes(w.data() + i, n) << "\n";
  }
}

void print_streams(std::ostream& os, const NpuSegment& seg) {
  for (int slot = 0; slot < 2; ++slot) {
    for (int e = 0; e < kNumEngines; ++e) {
      const auto& words = seg.streams[slot][e];
      if (words.empty()) continue;
      os << "\n.stream slot=" << slot << " engine=" << engine_name(static_cast<Engine>(e)) << "\n";
      std::vector<Instruction> code;
      try {
        code = decode(words);
      } catch (const IsaError& err) {
        throw IsaError("segment '" + seg.name + "' slot " + std::to_string(slot) + " " +
                       std::string(engine_name(static_cast<Engine>(e))) + ": " + err.what());
      }
      for (const auto& in : code) os << "  " << disassemble(in) << "\n";
    }
  }
}

}  // namespace

std::string disassemble(const Instruction& in) {
  const OpcodeInfo& op = info(in.op);
  std::string s(op.mnemonic);
  for (const auto& spec : op.fields) {
    s += ' ';
    s += field_name(spec.field);
    s += '=';
    s += asmtext::format_field(spec.kind, in[spec.field]);
  }
  return s;
}

std::string disassemble(const Program& p) {
  std::ostringstream os;
  os << "# npusim assembly, ISA v" << kIsaVersion << "\n";
  os << ".mode " << mode_name(p.mode) << "\n.batch " << p.batch << "\n";
  print_hw(os, p.hw);
  const NpuSegment* seg = first_npu_segment(p);
  if (seg) {
    os << ".segment " << asmtext::quote(seg->name) << "\n";
    os << ".scratch " << seg->scratch_bytes << "\n.io " << seg->io_bytes << "\n";
  }
  for (const auto& t : p.inputs) print_tensor(os, ".input", t);
  for (const auto& t : p.outputs) print_tensor(os, ".output", t);
  if (seg) {
    print_weights(os, seg->weights);
    print_streams(os, *seg);
  }
  return os.str();
}

}  // namespace npusim::isa
