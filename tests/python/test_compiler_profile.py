"""npusim.compiler.compile (the same program as `npusim compile`) and
npusim.profile (AI Hub's stages, the per-layer table, the HTML report)."""
import json
import os
import unittest

import numpy as np

import npusim
from common import TempDir, calibration_samples, npusim as cli, small_cnn_bytes
from npusim.runtime import create_runner


class CompilerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.fp32 = cls.tmp("small.onnx")
        with open(cls.fp32, "wb") as f:
            f.write(small_cnn_bytes())
        np.save(cls.tmp("calib.npy"), np.concatenate(calibration_samples(4)))
        cls.int8 = cls.tmp("small.int8.onnx")
        cli("quantize", cls.fp32, "-o", cls.int8, "--calib", cls.tmp("calib.npy"), "--quiet")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_same_program_as_the_command_line(self):
        for target in ("single", "fused"):
            with self.subTest(target=target):
                compiled = npusim.compiler.compile(self.int8, target=target)
                out = self.tmp(f"{target}.npub")
                cli("compile", self.int8, "-o", out, "--target", target)
                with open(out, "rb") as f:
                    self.assertEqual(bytes(compiled), f.read())
                self.assertEqual(compiled.target, target)
                # Only the float boundary stays on the host.
                self.assertEqual([(p["node"], p["reason"]) for p in compiled.cpu_nodes],
                                 [("QuantizeLinear 'x_quantized_QuantizeLinear'", "quantise/dequantise "
                                   "at the float boundary runs on the host"),
                                  ("DequantizeLinear 'y_DequantizeLinear'", "quantise/dequantise at "
                                   "the float boundary runs on the host")])
                self.assertEqual(sum(p["unit"] == "NPU" for p in compiled.placement),
                                 len(compiled.placement) - 2)
                self.assertGreater(compiled.sram_peak, 0)
                self.assertGreater(len(compiled.stages), 2)
                # The plan per layer: a schedule in words, and DRAM bytes adding up to the total.
                self.assertTrue(compiled.layers)
                self.assertTrue(all(layer["tiling"] for layer in compiled.layers))
                self.assertEqual(sum(layer["dram_bytes"] for layer in compiled.layers),
                                 compiled.dram_traffic)

    def test_compile_then_run_in_memory(self):
        x = calibration_samples(1, seed=4)[0]
        with create_runner(self.int8) as from_file:
            want = from_file.run(x)[0]
        compiled = npusim.compiler.compile(self.int8, target="fused")
        with create_runner(compiled, device="npu0pe0-1") as runner:
            np.testing.assert_array_equal(runner.run(x)[0], want)  # fused: the same integers
        with create_runner(bytes(npusim.compiler.compile(self.int8))) as runner:
            np.testing.assert_array_equal(runner.run(x)[0], want)
        with self.assertRaisesRegex(npusim.InvalidInputError, "compiled for fused PEs"):
            create_runner(compiled, device="npu0pe0")

    def test_batch_equals_single_runs(self):
        xs = calibration_samples(3, seed=9)
        with create_runner(self.int8) as single:
            want = np.concatenate([single.run(x)[0] for x in xs])
        one = npusim.compiler.compile(self.int8)
        compiled = npusim.compiler.compile(self.int8, batch=3)
        self.assertEqual(compiled.batch, 3)
        self.assertLess(compiled.dram_traffic, 3 * one.dram_traffic)  # weights once per batch
        with create_runner(compiled) as runner:
            got = runner.run(np.concatenate(xs))[0]
        self.assertEqual(got.shape[0], 3)
        np.testing.assert_array_equal(got, want)
        with self.assertRaisesRegex(npusim.CompileError, "batch 0 is out of range"):
            npusim.compiler.compile(self.int8, batch=0)

    def test_errors(self):
        with self.assertRaisesRegex(npusim.CompileError, "npusim quantize"):
            npusim.compiler.compile(self.fp32)  # float only
        with self.assertRaisesRegex(ValueError, 'target must be "single" or "fused"'):
            npusim.compiler.compile(self.int8, target="dual")

    def test_profile(self):
        p = npusim.profile(self.int8, runs=3, loads=2)
        self.assertEqual([s["name"] for s in p.stages],
                         ["compile", "first load", "warm load", "inference"])
        inference = p.stages[-1]
        self.assertEqual(inference["ms"], p.latency.latency_ps / 1e9)
        self.assertEqual(inference["time_kind"], "simulated, min of 3")
        lo, hi = inference["memory"]["sram_per_pe_bytes"]
        self.assertEqual(lo, 0)
        self.assertTrue(0 < hi <= npusim.hw.default().sram_per_pe)
        warm = p.stages[2]
        self.assertEqual(warm["time_kind"], "wall, min of 2")
        self.assertLessEqual(*warm["memory"]["host_increase_mib"])
        npu_layers = [l for l in p.layers if l["unit"] == "NPU"]
        self.assertEqual(len(npu_layers), 3)  # three convolutions (Relu fused)
        self.assertTrue(all(l["cycles"] > 0 and l["macs"] > 0 for l in npu_layers))
        d = p.to_dict()
        self.assertEqual(d["summary"]["latency_us"], p.latency.latency_us)
        self.assertIn("traceEvents", d["trace"])
        html = self.tmp("profile.html")
        p.write_html(html)
        with open(html) as f:
            self.assertIn("<html", f.read(200).lower())
        p.write_json(self.tmp("profile.json"))
        with open(self.tmp("profile.json")) as f:
            self.assertEqual(json.load(f)["layers"], p.layers)
        self.assertIn("latency", str(p))


class VisionTest(unittest.TestCase):
    def test_nms_by_hand(self):
        boxes = np.array([[0.0, 0.0, 1.0, 1.0, 0.9, 0],
                          [0.0, 0.0, 1.0, 0.9, 0.8, 0],    # IoU 0.9 with the first: dropped
                          [0.0, 0.0, 1.0, 0.9, 0.7, 1],    # another class
                          [2.0, 2.0, 3.0, 3.0, 0.6, 0]], np.float32)
        kept = npusim.vision.nms(boxes, 0.5)
        np.testing.assert_array_equal(kept[:, 4], np.float32([0.9, 0.6]))
        kept = npusim.vision.nms(boxes, 0.5, class_aware=True)
        np.testing.assert_array_equal(kept[:, 4], np.float32([0.9, 0.7, 0.6]))
        self.assertEqual(npusim.vision.nms(boxes, 0.5, max_out=1).shape, (1, 6))

    def test_images_as_float_and_uint8_inputs(self):
        photo = os.path.join(os.environ.get("NPUSIM_CACHE", os.path.expanduser("~/.cache/npusim")),
                             "images", "astronaut.png")
        if not os.path.exists(photo):
            self.fail(f"{photo} is missing: run scripts/fetch-images.sh")
        with TempDir() as tmp:
            fp32 = tmp("small32.onnx")
            with open(fp32, "wb") as f:
                f.write(small_cnn_bytes(size=32))
            np.save(tmp("calib.npy"), np.concatenate(calibration_samples(2, size=32)))
            cli("quantize", fp32, "-o", tmp("u8.onnx"), "--calib", tmp("calib.npy"),
                "--input-type", "x=uint8", "--quiet")
            desc = npusim.runtime.load_model(tmp("u8.onnx")).input(0)
        self.assertEqual((desc.dtype, desc.shape), (np.uint8, (1, 3, 32, 32)))
        raw = npusim.vision.load_image(photo, desc)  # as `npusim run -i` feeds it: the pixels
        scaled = npusim.vision.load_image(photo, (1, 3, 32, 32))
        self.assertEqual((raw.dtype, raw.shape), (np.uint8, (1, 3, 32, 32)))
        np.testing.assert_array_equal(np.round(scaled * 255).astype(np.uint8), raw)
        nhwc = npusim.vision.load_image(photo, (1, 32, 32, 3), scale=2 / 255, mean=1.0)
        np.testing.assert_allclose(nhwc, (raw.transpose(0, 2, 3, 1) * (2 / 255) - 1), atol=1e-6)
        image = npusim.vision.read_image(photo)
        self.assertEqual((image.dtype, image.shape[2]), (np.uint8, 3))
        drawn = npusim.vision.draw_boxes(image, [[0.25, 0.25, 0.75, 0.75, 1.0, 0]],
                                         colour=(255, 0, 0))
        self.assertEqual(drawn.shape, image.shape)
        self.assertTrue((drawn[image.shape[0] // 4, image.shape[1] // 2] == [255, 0, 0]).all())


if __name__ == "__main__":
    unittest.main()
