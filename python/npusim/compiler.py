"""npusim.compiler: a quantised (QDQ) ONNX model to a program for the
simulated NPU (docs/compiler.md).

    compiled = npusim.compiler.compile("yolov8n.int8.onnx", target="single")
    compiled.save("yolov8n.npub")
    compiled.placement     # [{"node", "unit": "NPU"|"CPU", "reason"}, ...]
    compiled.stages        # [("lower", ms), ...]
    create_runner(compiled)
"""
import os

from . import _npusim

__all__ = ["CompiledModel", "compile"]


class CompiledModel:
    """A compiled program with the compiler's report."""

    def __init__(self, core):
        self._core = core

    def save(self, path):
        """Writes the .npub file."""
        self._core.save(os.fspath(path))

    def __bytes__(self):
        return self._core.program_bytes()

    def model(self):
        """The program as a runtime Model (create_runner takes a CompiledModel too)."""
        return self._core.model()

    target = property(lambda self: self._core.target, doc='"single" or "fused"')
    hw = property(lambda self: self._core.hw, doc="the hardware it was compiled for")
    placement = property(lambda self: self._core.placement,
                         doc="every node: the unit it runs on and why not the NPU")
    stages = property(lambda self: self._core.stages, doc="(stage, ms) of each compiler stage")
    sram_peak = property(lambda self: self._core.sram_peak, doc="bytes of SRAM per PE, largest layer")
    dram_weights = property(lambda self: self._core.dram_weights)
    dram_activations = property(lambda self: self._core.dram_activations)
    layers = property(lambda self: self._core.layers,
                      doc="per NPU layer: the schedule in words (tiling), DRAM bytes per "
                          "inference, SRAM resident and working bytes per PE")
    batch = property(lambda self: self._core.batch, doc="images per run (compile(batch=))")
    dram_traffic = property(lambda self: self._core.dram_traffic,
                            doc="bytes the NPU's DMA moves per run, one batch (every PE)")

    @property
    def cpu_nodes(self):
        """The nodes left on the host, with the reason."""
        return [p for p in self.placement if p["unit"] == "CPU"]

    def __repr__(self):
        npu = sum(1 for p in self.placement if p["unit"] == "NPU")
        return (f"<npusim CompiledModel {self._core.origin}: {self.target}, {npu} NPU node(s), "
                f"{len(self.cpu_nodes)} CPU node(s)>")


def compile(model, *, target="single", hw=None, outputs=None, batch=1):
    """Compiles `model` (a path, ONNX bytes or npusim.quantizer.QuantizedModel)
    for `target` "single" (one PE, runs on either) or "fused" (both PEs
    split every layer) on `hw` (default: the warboy preset). outputs cuts
    the graph at these tensors. batch (1 ... 256): a program for batches of
    that many images (inputs and outputs lead with it; the weights cross
    DRAM once per batch; docs/compiler.md, "Batches"). Raises
    npusim.CompileError naming the node."""
    from . import hw as hw_module
    from . import quantizer
    source = model._core if isinstance(model, quantizer.QuantizedModel) else model
    if not isinstance(source, (bytes, _npusim.QuantizedCore)):
        source = os.fspath(source)
    return CompiledModel(_npusim.compile(source, target, hw or hw_module.default(),
                                         list(outputs or []), int(batch)))
