"""npusim.quantizer: calibration streamed sample by sample gives the same
model, byte for byte, as `npusim quantize` on the same data; uint8 input
editing; the accuracy report as a dict; errors."""
import math
import unittest

import numpy as np

import npusim
from common import TempDir, calibration_samples, npusim as cli, small_cnn_bytes
from npusim.quantizer import (CalibrationMethod, Calibrator, ModelEditor, TensorType,
                              evaluate_accuracy, get_pure_input_names, optimize_model, quantize)


class QuantizerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.fp32 = cls.tmp("small.onnx")
        with open(cls.fp32, "wb") as f:
            f.write(small_cnn_bytes())
        cls.samples = calibration_samples(4)
        np.save(cls.tmp("calib.npy"), np.concatenate(cls.samples))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def cli_model(self, name, *args):
        out = self.tmp(name)
        cli("quantize", self.fp32, "-o", out, "--calib", self.tmp("calib.npy"), "--holdout", "0",
            "--quiet", *args)
        with open(out, "rb") as f:
            return f.read()

    def python_model(self, method, uint8=False):
        model = optimize_model(self.fp32)
        calibrator = Calibrator(model, method)
        for x in self.samples:  # one at a time, as a progress bar would
            calibrator.collect_data([[x]])
        self.assertEqual(calibrator.samples, 4)
        if uint8:
            ModelEditor(model).convert_input_type("x", TensorType.UINT8)
        return model, quantize(model, calibrator.compute_range())

    def test_same_bytes_as_the_command_line(self):
        for method, name in ((CalibrationMethod.MIN_MAX_ASYM, "minmax-asym"),
                             (CalibrationMethod.PERCENTILE_SYM, "percentile-sym"),
                             ("entropy", "entropy-asym")):
            with self.subTest(method=name):
                _, q = self.python_model(method)
                self.assertEqual(bytes(q), self.cli_model(f"{name}.onnx", "--method", name))

    def test_uint8_input_editing(self):
        model, q = self.python_model(CalibrationMethod.MIN_MAX_ASYM, uint8=True)
        self.assertEqual(bytes(q), self.cli_model("u8.onnx", "--method", "minmax",
                                                  "--input-type", "x=uint8"))
        (name, shape, dtype), = q.inputs
        self.assertEqual((name, shape, dtype), ("x", (1, 3, 16, 16), np.dtype(np.uint8)))
        scale, zero_point = q.input_quantization["x"]
        lo, hi = min(float(s.min()) for s in self.samples), max(float(s.max()) for s in self.samples)
        self.assertAlmostEqual(scale, (hi - min(lo, 0.0)) / 255, places=6)
        self.assertEqual(zero_point, 0)
        self.assertEqual(get_pure_input_names(self.fp32), ["x"])
        with self.assertRaisesRegex(ValueError, 'no input named "images" \\(inputs: x\\)'):
            ModelEditor(model).convert_input_type("images", TensorType.UINT8)

    def test_accuracy_report_as_a_dict(self):
        model, q = self.python_model(CalibrationMethod.MIN_MAX_ASYM)
        report = evaluate_accuracy(model, q, calibration_samples(2, seed=5), split=True)
        self.assertEqual(report["samples"], 2)
        (out,) = report["outputs"]
        self.assertEqual(out["name"], "y")
        self.assertGreater(out["sqnr_db"], 20.0)  # a 3-layer net at int8
        self.assertTrue(0.99 < out["cosine"] <= 1.0)
        self.assertIsNone(out["top1_agreement"])  # not a classifier output
        self.assertTrue(math.isfinite(out["weights_only_db"]))
        self.assertEqual({l["tensor"] for l in report["layers"]} >= {"x"}, True)
        sqnrs = [l["sqnr_db"] for l in report["layers"]]
        self.assertEqual(sqnrs, sorted(sqnrs))  # worst first

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, 'unknown calibration method "median"'):
            Calibrator(self.fp32, "median")
        calibrator = Calibrator(self.fp32, "minmax")
        with self.assertRaisesRegex(ValueError, "no calibration data"):
            calibrator.compute_range()
        with self.assertRaises(TypeError) as e:
            calibrator.collect_data([[np.zeros((1, 3, 16, 16), np.float64)]])
        self.assertIn("float64", str(e.exception))
        with self.assertRaisesRegex(npusim.CompileError, "calibration input 1: "):
            calibrator.collect_data([[np.zeros((1, 3, 8, 8), np.float32)]])
        with self.assertRaisesRegex(ValueError, "sample 1 has 2 input\\(s\\); the model takes 1"):
            calibrator.collect_data([[np.zeros((1, 3, 16, 16), np.float32)] * 2])
        with self.assertRaises(npusim.CompileError):
            optimize_model(b"not an onnx model")


if __name__ == "__main__":
    unittest.main()
