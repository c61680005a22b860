// Every npusim-domain op (npu_ops.hpp), listed once. Each entry names
//   the op, as lowering writes it and the graph stores it;
//   its attributes, a struct of npu_op_attrs.hpp;
//   its golden function, fn(const ops::OpContext&, const Attrs&) in ops/npu_ops.cpp;
//   the code generator family that plans and emits it, <family>_unsupported,
//   plan_<family>, <family>_traits and <family>_min_work in
//   codegen/<family>_codegen.cpp.
// The reference executor (ops/npu_ops.cpp) and code generation
// (codegen/families.cpp) both expand this list, so an op is either complete
// in both or the build fails. docs/compiler.md "Adding an NPU op" walks
// through an addition.
#pragma once

// OP(name, attrs, golden, family)
#define NPUSIM_NPU_OPS(OP)                       \
  OP(QConv, QConvAttrs, qconv, conv)             \
  OP(QAdd, QBinaryAttrs, qadd, binary)           \
  OP(QMul, QBinaryAttrs, qmul, binary)           \
  OP(QLut, QLutAttrs, qlut, lut)                 \
  OP(QPool, QPoolAttrs, qpool, pool)             \
  OP(QConcat, QConcatAttrs, qconcat, concat)     \
  OP(QSplit, QSplitAttrs, qsplit, concat)        \
  OP(QResize, QResizeAttrs, qresize, resize)     \
  OP(QPermute, QPermuteAttrs, qpermute, permute) \
  OP(QPad, QPadAttrs, qpad, pad)

// The families of code generators the list uses (one file each).
#define NPUSIM_NPU_FAMILIES(FAMILY) \
  FAMILY(conv)                      \
  FAMILY(binary)                    \
  FAMILY(lut)                       \
  FAMILY(pool)                      \
  FAMILY(concat)                    \
  FAMILY(resize)                    \
  FAMILY(permute)                   \
  FAMILY(pad)
