"""Shared by the Python package's tests: paths ctest passes in, and a small
convolutional model built with onnx.helper (no files, no network)."""
import os
import subprocess
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NPUSIM = os.environ.get("NPUSIM_BINARY", "npusim")  # the command line, from ctest
SOURCE_DIR = os.environ.get("NPUSIM_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CACHE = os.environ.get("NPUSIM_CACHE", os.path.expanduser("~/.cache/npusim"))


def small_cnn_bytes(size=16, seed=3):
    """x [1, 3, size, size] -> Conv3x3(8)+Relu -> Conv3x3 s2 (8)+Relu -> Conv1x1(4) -> y.
    Float32, opset 13."""
    rng = np.random.default_rng(seed)

    def weight(name, shape):
        fan_in = int(np.prod(shape[1:]))
        w = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape).astype(np.float32)
        return numpy_helper.from_array(w, name)

    def bias(name, n):
        return numpy_helper.from_array(rng.normal(0.0, 0.1, n).astype(np.float32), name)

    inits = [weight("w1", (8, 3, 3, 3)), bias("b1", 8), weight("w2", (8, 8, 3, 3)), bias("b2", 8),
             weight("w3", (4, 8, 1, 1)), bias("b3", 4)]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Conv", ["r2", "w3", "b3"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "small_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, size // 2, size // 2])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model.SerializeToString()


def calibration_samples(n, size=16, seed=1):
    """n inputs in [0, 1), as images would give."""
    rng = np.random.default_rng(seed)
    return [rng.random((1, 3, size, size), dtype=np.float32) for _ in range(n)]


def npusim(*args):
    """Runs the command line; returns its stdout (raises with stderr on failure)."""
    r = subprocess.run([NPUSIM, *map(str, args)], capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"npusim {' '.join(map(str, args))} failed ({r.returncode}):\n"
                             f"{r.stdout}\n{r.stderr}")
    return r.stdout


class TempDir:
    """A temporary directory for a test class (setUpClass/tearDownClass)."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="npusim-py-")
        self.path = self._dir.name

    def __call__(self, name):
        return os.path.join(self.path, name)

    def cleanup(self):
        self._dir.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
