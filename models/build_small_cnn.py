#!/usr/bin/python3
"""Builds a small classification CNN as FP32 ONNX with random weights, for the
cooperative-inference examples (docs/coop.md): the NPU runs the convolutions
and the classifier's Gemm, the host the Softmax at its end (the tail the NPU
lacks).

  x [1, 3, 32, 32] -> Conv 3x3 s2 (16) -> Relu -> Conv 3x3 s2 (32) -> Relu
    -> Conv 3x3 s1 (64) -> Relu -> GlobalAveragePool -> Flatten
    -> Gemm (10) -> Softmax -> probs [1, 10]

No torch: onnx.helper + numpy only; deterministic (seeded), opset 13.

usage: build_small_cnn.py OUT.onnx
Then: npusim quantize OUT.onnx --calib random --calib-count 8
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def conv(name, x, cin, cout, stride, rng, nodes, inits):
    w = rng.normal(0, np.sqrt(2.0 / (cin * 9)), (cout, cin, 3, 3)).astype(np.float32)
    b = rng.normal(0, 0.05, (cout,)).astype(np.float32)
    inits += [numpy_helper.from_array(w, name + ".w"), numpy_helper.from_array(b, name + ".b")]
    nodes.append(helper.make_node("Conv", [x, name + ".w", name + ".b"], [name],
                                  kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[stride, stride]))
    nodes.append(helper.make_node("Relu", [name], [name + ".relu"]))
    return name + ".relu"


def build():
    rng = np.random.default_rng(16)
    nodes, inits = [], []
    x = conv("conv1", "x", 3, 16, 2, rng, nodes, inits)
    x = conv("conv2", x, 16, 32, 2, rng, nodes, inits)
    x = conv("conv3", x, 32, 64, 1, rng, nodes, inits)
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pool"]))
    nodes.append(helper.make_node("Flatten", ["pool"], ["flat"], axis=1))
    w = rng.normal(0, np.sqrt(1.0 / 64), (10, 64)).astype(np.float32)
    b = rng.normal(0, 0.1, (10,)).astype(np.float32)
    inits += [numpy_helper.from_array(w, "fc.w"), numpy_helper.from_array(b, "fc.b")]
    nodes.append(helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], transB=1))
    nodes.append(helper.make_node("Softmax", ["logits"], ["probs"], axis=1))
    graph = helper.make_graph(
        nodes, "small_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    onnx.save(build(), sys.argv[1])
