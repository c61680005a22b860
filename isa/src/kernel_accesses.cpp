// Static properties of compute instructions: output sizes, the SRAM byte
// ranges they touch, and their work (MACs / vector elements), each from the
// instruction's descriptor (op_descriptor.hpp). Used by the verifier for
// range checks and by the simulator for timing and traffic.
#include "op_descriptor.hpp"

namespace npusim::isa::kernels {

int64_t conv_out_size(int64_t in, int64_t pad_begin, int64_t pad_end, int64_t kernel,
                      int64_t stride, int64_t dilation) {
  // Invalid parameters (rejected by the verifier) yield an empty output rather than UB.
  if (kernel < 1 || stride < 1 || dilation < 1) return 0;
  const int64_t span = in + pad_begin + pad_end - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

// DMA and control instructions touch no SRAM through the compute unit.
Accesses accesses(const Instruction& in) {
  ops::AccessBuilder b;
  const ops::OpDescriptor* d = ops::find(in.op);
  if (d && d->accesses) d->accesses(in, b);
  return b.a;
}

uint64_t mac_count(const Instruction& in) {
  const ops::OpDescriptor* d = ops::find(in.op);
  return d && d->macs ? d->macs(in) : 0;
}

uint64_t vector_elements(const Instruction& in) {
  const ops::OpDescriptor* d = ops::find(in.op);
  return d && d->elements ? d->elements(in) : 0;
}

}  // namespace npusim::isa::kernels
