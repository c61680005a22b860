// Internal: the ONNX operator schemas with checks in front of the shape
// inference functions that trust their input. Debian's libonnx reads past
// its arrays in convPoolShapeInference when a Conv's weights have another
// rank than its input (found by fuzz_onnx, docs/fuzzing.md): the guarded
// schema refuses that with a std::runtime_error naming the op and both ranks
// (import_onnx_bytes adds the file).
#pragma once

#include <onnx/defs/schema.h>

namespace npusim::compiler {

// Pass to onnx::shape_inference::InferShapes in place of
// onnx::OpSchemaRegistry::Instance().
const onnx::ISchemaRegistry* guarded_schemas();

}  // namespace npusim::compiler
