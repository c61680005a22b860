#!/usr/bin/env python3
"""Writes the generated part of the fuzz seed corpus (docs/fuzzing.md):
small quantised ONNX models, .npy files, PNG and BMP images and hardware
parameter files, into fuzz/corpus/<harness>/. make_corpus.sh then compiles
and assembles .npub seeds with npusim. Deterministic: the same files every run.
Needs python3-onnx and python3-numpy (Debian)."""
import os
import struct
import sys
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "corpus")
rng = np.random.default_rng(7)


def put(harness, name, data):
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- ONNX: QDQ models the compiler recognises, and one float model it refuses ---

class Model:
    def __init__(self):
        self.nodes, self.inits = [], []

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def qdq(self, x, scale, zp):
        s = self.const(x + "_s", np.array(scale, np.float32))
        z = self.const(x + "_z", np.array(zp, np.int8))
        self.nodes.append(helper.make_node("QuantizeLinear", [x, s, z], [x + "_q"]))
        self.nodes.append(helper.make_node("DequantizeLinear", [x + "_q", s, z], [x + "_dq"]))
        return x + "_dq"

    def weights(self, name, oc, ic, k):
        q = self.const(name + "_q", rng.integers(-127, 128, (oc, ic, k, k)).astype(np.int8))
        s = self.const(name + "_s", (0.002 * (1 + np.arange(oc) % 7)).astype(np.float32))
        z = self.const(name + "_z", np.zeros(oc, np.int8))
        self.nodes.append(helper.make_node("DequantizeLinear", [q, s, z], [name], axis=0))
        return name

    def save(self, harness, name, inputs, outputs):
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        put(harness, name + ".onnx", model.SerializeToString())


def conv_relu(name, c, hw, oc, k, stride):
    m = Model()
    x = m.qdq("x", 0.05, 0)
    w = m.weights("w", oc, c, k)
    b = m.const("b", (0.01 * (np.arange(oc) - oc / 2)).astype(np.float32))
    m.nodes.append(helper.make_node("Conv", [x, w, b], ["c"], pads=[k // 2] * 4, strides=[stride] * 2))
    m.nodes.append(helper.make_node("Relu", ["c"], ["r"]))
    y = m.qdq("r", 0.02, -128)
    m.nodes.append(helper.make_node("Identity", [y], ["y"]))
    o = (hw + 2 * (k // 2) - k) // stride + 1
    m.save("onnx", name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, hw, hw])],
           [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, oc, o, o])])


def add_pool():
    m = Model()
    x = m.qdq("x", 0.05, 0)
    w = m.weights("w", 4, 4, 1)
    m.nodes.append(helper.make_node("Conv", [x, w], ["c"]))
    c = m.qdq("c", 0.05, 0)
    m.nodes.append(helper.make_node("Add", [c, x], ["a"]))
    a = m.qdq("a", 0.05, 0)
    m.nodes.append(helper.make_node("MaxPool", [a], ["p"], kernel_shape=[2, 2], strides=[2, 2]))
    y = m.qdq("p", 0.05, 0)
    m.nodes.append(helper.make_node("Identity", [y], ["y"]))
    m.save("onnx", "add_pool", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
           [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 4, 4])])


def float_only():
    m = Model()
    w = m.const("w", rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    m.nodes.append(helper.make_node("Conv", ["x", w], ["y"], pads=[1, 1, 1, 1]))
    m.save("onnx", "float_conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
           [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])])


# --- .npy: the dtypes the reader knows, v1 and v2 headers ---

def npy(name, array, version=1):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (
        array.dtype.str, str(tuple(array.shape)))
    size_bytes = 2 if version == 1 else 4
    pad = 64 - (6 + 2 + size_bytes + len(header) + 1) % 64
    header = (header + " " * (pad % 64) + "\n").encode()
    prefix = b"\x93NUMPY" + bytes([version, 0])
    prefix += struct.pack("<H" if version == 1 else "<I", len(header))
    put("npy", name + ".npy", prefix + header + array.tobytes())


# --- images: PNG (grey, RGB, RGBA, palette-free) and BMP, written by hand ---

def png(name, pixels):
    h, w = pixels.shape[:2]
    colour = {1: 0, 3: 2, 4: 6}[pixels.shape[2]]
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    put("image", name + ".png", data)


def bmp(name, pixels):
    h, w = pixels.shape[:2]
    row = (w * 3 + 3) // 4 * 4
    body = b"".join(pixels[y, :, ::-1].tobytes().ljust(row, b"\x00") for y in reversed(range(h)))
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(body), 2835, 2835, 0, 0)
    put("image", name + ".bmp", b"BM" + struct.pack("<IHHI", 54 + len(body), 0, 0, 54) + info + body)


def main():
    conv_relu("conv3x3", 4, 8, 8, 3, 1)
    conv_relu("conv1x1_s2", 8, 8, 4, 1, 2)
    add_pool()
    float_only()

    npy("f32", rng.standard_normal((1, 3, 4, 4)).astype(np.float32))
    npy("f64", rng.standard_normal((2, 3)))
    npy("i8", rng.integers(-128, 128, (1, 16), dtype=np.int8))
    npy("u8_v2", rng.integers(0, 256, (4, 4, 3), dtype=np.uint8), version=2)
    npy("i32", np.arange(6, dtype=np.int32).reshape(2, 3))
    npy("i64_scalar", np.array(5, np.int64))
    npy("bool", np.array([True, False, True]))

    png("grey8x8", rng.integers(0, 256, (8, 8, 1), dtype=np.uint8))
    png("rgb16x12", rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    png("rgba5x7", rng.integers(0, 256, (7, 5, 4), dtype=np.uint8))
    bmp("rgb9x6", rng.integers(0, 256, (6, 9, 3), dtype=np.uint8))

    put("hw", "warboy.txt", b"preset = warboy\n")
    put("hw", "small.txt", b"preset = small\nsram_per_pe = 1MiB\n")
    put("hw", "bigger.txt", b"# docs/params.md's example\npreset = warboy\narray = 128x128\n"
        b"dram_bandwidth = 33GB/s     # LPDDR4X at half speed\nhost_link = 31.5GB/s\nhost_op = 1.5us\n")
    put("hw", "sets.txt", b"num_pes=2\nclock=1.5GHz\narray=32x32\nnum_semaphores=32\n"
        b"dram_size=1GiB\nwatchdog_cycles=100000\n")


main()
