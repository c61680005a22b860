"""npusim.hw: the hardware parameters as a dict-like object."""
import unittest

import npusim
from npusim import hw


class HwParamsTest(unittest.TestCase):
    def test_default_is_the_warboy_preset_with_canonical_text(self):
        p = hw.default()
        self.assertEqual(p, hw.preset("warboy"))
        self.assertEqual(p["sram_per_pe"], "16MiB")
        self.assertEqual(p["dram_bandwidth"], "66GB/s")
        self.assertEqual(p["array"], "64x128")
        self.assertEqual(p.sram_per_pe, 16 << 20)
        self.assertEqual(p.clock_hz, 2_000_000_000)
        self.assertEqual(p.macs_per_cycle, 64 * 128)
        self.assertIn("host_link", p)
        self.assertNotIn("no_such_key", p)
        self.assertEqual(list(p), p.keys())
        self.assertEqual(len(p), len(p.keys()))
        self.assertEqual(dict(p.items()), p.to_dict())

    def test_setting_parses_units_and_checks_ranges(self):
        p = hw.preset("warboy", sram_per_pe="8MiB", num_pes=1)
        self.assertEqual(p.sram_per_pe, 8 << 20)
        self.assertEqual(p["num_pes"], "1")
        p["dram_bandwidth"] = "33GB/s"
        self.assertEqual(p.dram_bandwidth, 33_000_000_000)
        with self.assertRaises(npusim.ParamError) as e:
            p["sram_per_pe"] = "16MB"
        self.assertEqual(str(e.exception), 'bad value "16MB" for sram_per_pe: expected a size like '
                         '16MiB (units GiB, MiB, KiB, B)')
        self.assertIsInstance(e.exception, ValueError)
        self.assertEqual(p.sram_per_pe, 8 << 20)  # unchanged
        with self.assertRaises(npusim.ParamError):
            p["dram_bandwidth"] = 66  # a bare number could mean B/s or GB/s
        with self.assertRaises(KeyError) as e:
            p["sram_size"] = "1MiB"
        self.assertIn("unknown hardware parameter", str(e.exception))
        with self.assertRaises(TypeError):
            p["num_pes"] = 1.5

    def test_update_is_all_or_nothing(self):
        p = hw.default()
        with self.assertRaises(npusim.ParamError):
            p.update({"sram_per_pe": "4MiB", "num_pes": 9})
        self.assertEqual(p, hw.default())

    def test_text_round_trip_and_presets(self):
        p = hw.preset("small")
        self.assertEqual(p["array"], "16x16")
        self.assertEqual(hw.presets(), ["warboy", "small"])
        copy = p.copy()
        copy["array"] = "32x32"
        self.assertNotEqual(copy, p)
        import os
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "hw.txt")
            with open(path, "w") as f:
                f.write(copy.to_text())
            self.assertEqual(hw.load(path), copy)


class VersionTest(unittest.TestCase):
    def test_version_info_matches_the_command_line(self):
        from common import npusim as cli
        info = npusim.version_info()
        text = cli("--version")
        self.assertIn(f"npusim {info['version']}\n", text)
        self.assertIn(f"git revision {info['git_revision']}\n", text)
        self.assertEqual(info["hw_presets"], ["warboy", "small"])
        for key, value in info["default_hw"].items():
            self.assertIn(f"  {key} = {value}\n", text)
        self.assertEqual(npusim.__version__, info["version"])


if __name__ == "__main__":
    unittest.main()
