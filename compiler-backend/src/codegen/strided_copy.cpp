// vec.copy rearrangements (strided_copy.hpp).
#include "strided_copy.hpp"

#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {

using isa::Engine;
using isa::Field;

void emit_strided_copy(Streams& s, int slot, uint64_t src, uint64_t dst,
                       std::vector<CopyDim> dims) {
  while (dims.size() < 3) dims.insert(dims.begin(), CopyDim{1, 0, 0});
  const size_t loops = dims.size() - 3;
  int64_t n = 1;
  for (size_t d = 0; d < loops; ++d) n *= dims[d].count;
  const CopyDim c2 = dims[loops], c1 = dims[loops + 1], c0 = dims[loops + 2];
  for (int64_t k = 0; k < n; ++k) {
    int64_t so = 0, dso = 0;
    for (int64_t rest = k, d = int64_t(loops) - 1; d >= 0; --d) {
      so += (rest % dims[d].count) * dims[d].src;
      dso += (rest % dims[d].count) * dims[d].dst;
      rest /= dims[d].count;
    }
    s.emit(slot, Engine::kCompute,
           isa::make(isa::Opcode::kVecCopy, {{Field::kSrc, int64_t(src) + so},
                                             {Field::kDst, int64_t(dst) + dso},
                                             {Field::kElem, 1},
                                             {Field::kCnt0, c0.count},
                                             {Field::kCnt1, c1.count},
                                             {Field::kCnt2, c2.count},
                                             {Field::kSrcS0, c0.src},
                                             {Field::kSrcS1, c1.src},
                                             {Field::kSrcS2, c2.src},
                                             {Field::kDstS0, c0.dst},
                                             {Field::kDstS1, c1.dst},
                                             {Field::kDstS2, c2.dst}}));
  }
}

}  // namespace npusim::compiler::codegen
