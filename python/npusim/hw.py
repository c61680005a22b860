"""npusim.hw: hardware parameters of the simulated NPU (docs/params.md).

    hw = npusim.hw.preset("warboy", sram_per_pe="8MiB")
    hw["dram_bandwidth"] = "33GB/s"          # text with units, checked
    hw.sram_per_pe                           # 8388608 (bytes)
    dict(hw.items())

Pass an HwParams as hw= to create_runner, compile, quantizer-free loads and
profile. Keys and units are those of docs/params.md; a bad value raises
npusim.ParamError naming key and value, an unknown key a KeyError.
"""
from ._npusim import HwParams

__all__ = ["HwParams", "preset", "presets", "load", "default"]


def preset(name="warboy", **overrides):
    """A named preset ("warboy", "small") with keys overridden."""
    params = HwParams(name)
    params.update(overrides)
    return params


def presets():
    """The preset names."""
    from ._npusim import hw_preset_names
    return hw_preset_names()


def default():
    """The default parameters (the warboy preset)."""
    return HwParams("warboy")


def load(path):
    """A parameter file as --hw FILE reads it ("key = value" lines)."""
    from ._npusim import hw_load
    return hw_load(str(path))
