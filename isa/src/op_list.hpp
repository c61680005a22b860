// Internal: every opcode's descriptor, one line each (an X-macro list, no
// include guard). NPUSIM_OP(Name) stands for Opcode::kName and its descriptor
// ops::kNameOp, defined in the file named beside it. op_descriptor.hpp
// declares the descriptors from this list and op_registry.cpp builds the
// table from it, so an opcode is registered by this one line.
// NOLINTBEGIN
NPUSIM_OP(DmaLoad)     // op_dma.cpp
NPUSIM_OP(DmaStore)    // op_dma.cpp
NPUSIM_OP(DmaH2D)      // op_dma.cpp
NPUSIM_OP(DmaD2H)      // op_dma.cpp
NPUSIM_OP(MatConv)     // kernel_matrix.cpp
NPUSIM_OP(MatMul)      // kernel_matrix.cpp
NPUSIM_OP(VecRequant)  // kernel_elementwise.cpp
NPUSIM_OP(VecAdd)      // kernel_elementwise.cpp
NPUSIM_OP(VecMul)      // kernel_elementwise.cpp
NPUSIM_OP(VecLut)      // kernel_vector.cpp
NPUSIM_OP(VecLutN)     // kernel_vector.cpp
NPUSIM_OP(VecPool)     // kernel_pool.cpp
NPUSIM_OP(VecCopy)     // kernel_vector.cpp
NPUSIM_OP(VecFill)     // kernel_vector.cpp
NPUSIM_OP(VecResize)   // kernel_resize.cpp
NPUSIM_OP(SemWait)     // op_control.cpp
NPUSIM_OP(SemSignal)   // op_control.cpp
NPUSIM_OP(Irq)         // op_control.cpp
NPUSIM_OP(End)         // op_control.cpp
// NOLINTEND
