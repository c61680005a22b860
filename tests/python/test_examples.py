"""The Warboy tutorial in Python (examples/warboy_tutorial) at 64x64 with 16
frames: every step runs, and async and queue with 8 workers beat sync by the
factor the simulated timeline predicts (docs/python.md explains it)."""
import json
import re
import os
import subprocess
import sys
import unittest

from common import SOURCE_DIR, TempDir

EXAMPLES = os.path.join(SOURCE_DIR, "examples", "warboy_tutorial")
FRAMES = 16


class WarboyTutorialTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.common = ["--size", "64", "--workdir", cls.tmp.path, "--calib-count", "4"]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def step(self, script, *args):
        r = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *self.common, *args],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, f"{script} failed:\n{r.stdout}\n{r.stderr}")
        return r.stdout, r.stderr

    def test_the_tutorial(self):
        out, err = self.step("quantize.py")
        self.assertIn("calibration: 100%", err)  # the progress bar
        self.assertIn("min-max over 4 image(s)", out)
        self.assertIn("input      images takes uint8: real = 0.00392157 * (q - 0)", out)
        self.assertEqual(len(re.findall(r"^  \S+ +SQNR +[0-9.]+ dB  cosine 0\.9", out, re.M)), 6)

        out, _ = self.step("compile.py")
        # The input takes uint8 codes: only the six outputs' dequantisation is left on the host.
        self.assertRegex(out, r"single +NPU \d+ node\(s\), CPU 6;")
        self.assertRegex(out, r"fused +NPU \d+ node\(s\), CPU 6;")
        self.assertEqual(out.count("CPU: 6 node(s): quantise/dequantise at the float boundary "
                                   "runs on the host"), 2)

        for script, label, tutorial in (("sync_runner.py", "sync", "108 s"),
                                        ("async_runner.py", "async x8", "5.96 s"),
                                        ("queue_runner.py", "queue x8", "6.07 s")):
            out, _ = self.step(script, "--frames", str(FRAMES))
            self.assertRegex(out, rf"^{label} +{FRAMES} frames: +[0-9.]+ ms simulated")
            self.assertIn(f"tutorial on Warboy: {tutorial} per 1000 frames", out)

        out, _ = self.step("postprocess.py", "-o", self.tmp("boxes.png"))
        self.assertRegex(out, r"decode\+NMS \d+ box\(es\)")
        self.assertTrue(os.path.getsize(self.tmp("boxes.png")) > 0)

        out, _ = self.step("bench.py", "--frames", str(FRAMES), "--json", self.tmp("bench.json"))
        with open(self.tmp("bench.json")) as f:
            bench = json.load(f)
        pred = bench["prediction"]
        per_frame = pred["host_ms"] + pred["device_ms"]
        # Sync: one frame at a time, exactly frames x (host + device).
        self.assertAlmostEqual(pred["sync_ms"], FRAMES * per_frame, places=6)
        for row in bench["runners"][1:]:
            # With 8 workers the total is the busier resource's share, plus
            # at most one frame's latency to fill and drain the pipeline.
            self.assertGreaterEqual(row["total_ms"], pred["bound_ms"] - 1e-9, row["runner"])
            self.assertLessEqual(row["total_ms"], pred["bound_ms"] + per_frame, row["runner"])
            self.assertGreater(row["speedup_vs_sync"], 0.75 * pred["factor"], row["runner"])
        self.assertIn(f"{pred['factor']:.2f}x faster than sync", out)


if __name__ == "__main__":
    unittest.main()
