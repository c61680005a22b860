"""npusim: an open NPU simulator with a real software stack, from Python.

The API follows the SDKs users know (furiosa-sdk, RBLN, Qualcomm AI Hub):

    import npusim
    from npusim.runtime import create_runner

    with create_runner("model.int8.onnx", device="npu0pe0") as runner:
        outputs = runner.run(x)                 # NumPy arrays in, NumPy arrays out
        print(outputs.timing)                   # simulated latency: host, H2D, compute, D2H

Modules: npusim.runtime (runners, queues), npusim.quantizer (calibration,
int8 quantisation), npusim.compiler, npusim.hw (hardware parameters),
npusim.vision (decode, NMS, images) and npusim.profile(). docs/python.md
has the guide.
"""
from . import _npusim
from ._npusim import (ClosedError, CompileError, DeviceBusyError, DeviceError, InputTypeError,
                      InvalidInputError, ModelError, NpusimError, ParamError, ProgramError,
                      TimeoutError)

__version__ = _npusim.version()
__git_revision__ = _npusim.git_revision()

from . import compiler, hw, quantizer, runtime, vision  # noqa: E402
from ._profile import Profile, profile  # noqa: E402


def version_info():
    """What `npusim --version` prints, as a dict: version, git revision, the
    hardware presets and the default preset's parameters."""
    return {
        "version": __version__,
        "git_revision": __git_revision__,
        "hw_presets": hw.presets(),
        "default_hw": hw.default().to_dict(),
    }


def set_log_level(level):
    """The driver's and device's log level: "warn" (default), "info", "debug"."""
    _npusim.set_log_level(level)


__all__ = [
    "ClosedError", "CompileError", "DeviceBusyError", "DeviceError", "InputTypeError",
    "InvalidInputError", "ModelError", "NpusimError", "ParamError", "ProgramError", "Profile",
    "TimeoutError", "compiler", "hw", "profile", "quantizer", "runtime", "set_log_level",
    "version_info", "vision",
]
