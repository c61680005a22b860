"""npusim.profile(): the stages Qualcomm AI Hub reports for a model on a
device, as `npusim profile` measures them (docs/profile.md): compile, first
load, warm load (each wall time, repeated `loads` times) and inference (the
minimum simulated latency over `runs` runs of one input), with memory as
(min, max) ranges over the repetitions, then the per-layer table of the
fastest inference from the device's instruction trace."""
import json
import os
import time

import numpy as np

from . import _npusim

__all__ = ["Profile", "profile"]


def _host_memory():
    """(resident, peak resident) MiB of this process, from /proc/self/status."""
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024.0
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def _mib_range(values):
    return (round(min(values), 3), round(max(values), 3))


class _Measure:
    """Wall time and the host's resident memory over repetitions of a stage."""

    def __init__(self):
        self.ms, self.increase, self.peak = [], [], []

    def __enter__(self):
        self._rss0, _ = _host_memory()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.ms.append((time.perf_counter() - self._t0) * 1e3)
        rss, peak = _host_memory()
        self.increase.append(max(0.0, rss - self._rss0))
        self.peak.append(peak)

    def stage(self, name, **memory):
        memory = dict(host_increase_mib=_mib_range(self.increase),
                      host_peak_mib=_mib_range(self.peak), **memory)
        return {"name": name, "ms": min(self.ms), "ms_range": (min(self.ms), max(self.ms)),
                "time_kind": "wall" if len(self.ms) == 1 else f"wall, min of {len(self.ms)}",
                "memory": memory}


def _memory_text(memory):
    inc, peak = memory["host_increase_mib"], memory["host_peak_mib"]
    text = f"host {inc[0]:.1f}-{inc[1]:.1f} MiB added, peak {peak[0]:.1f}-{peak[1]:.1f} MiB"
    if "device_dram_bytes" in memory:
        text += f"; device DRAM {memory['device_dram_bytes'] / 1048576:.1f} MiB"
    if "sram_per_pe_bytes" in memory:
        lo, hi = memory["sram_per_pe_bytes"]
        text += f"; SRAM {lo / 1048576:.1f}-{hi / 1048576:.1f} MiB per PE"
    return text


class Profile:
    """What profile() measured. stages: [{"name", "ms", "ms_range",
    "time_kind", "memory": {...ranges}}]; latency: the fastest inference's
    Timing; pes: PeCounters over the runs; layers: the per-layer table
    (dicts as in `npusim profile --csv`)."""

    def __init__(self, model, device, stages, latency, stats, layers, hw):
        self.model = model
        self.device = device
        self.stages = stages
        self.latency = latency
        self.pes = list(stats.pes)
        self.layers = layers
        self.hw = hw
        self._stats = stats

    def chrome_trace(self):
        """The inference runs as a Chrome/Perfetto trace (JSON text)."""
        return self._stats.chrome_trace()

    def to_dict(self):
        """The JSON of `npusim profile -o` (what the HTML report reads)."""
        t = self.latency
        return {
            "model": self.model.origin,
            "model_hash": self.model.source_hash,
            "npusim_version": _npusim.version(),
            "device": t.device,
            "target": self.model.target,
            "hw": self.hw.to_dict(),
            "stages": [{"name": s["name"], "ms": s["ms"], "time_kind": s["time_kind"],
                        "memory": _memory_text(s["memory"])} for s in self.stages],
            "summary": {"latency_us": t.latency_us, "host_us": t.host_us, "h2d_us": t.h2d_us,
                        "compute_us": t.compute_us, "d2h_us": t.d2h_us, "request": t.request,
                        **({"npu_percent": self.pes[0].npu_percent,
                            "comp_percent": self.pes[0].comp_percent,
                            "io_percent": self.pes[0].io_percent} if self.pes else {})},
            "pes": {p.pe: {"npu": p.npu_percent, "comp": p.comp_percent, "io": p.io_percent}
                    for p in self.pes},
            "layers": self.layers,
            "trace": json.loads(self.chrome_trace()),
        }

    def write_json(self, path):
        with open(os.fspath(path), "w") as f:
            json.dump(self.to_dict(), f, indent=1)

    def write_html(self, path):
        """The single-file HTML report (summary, per-layer chart, timeline)."""
        with open(os.fspath(path), "w") as f:
            f.write(_npusim.profile_html(json.dumps(self.to_dict())))

    def __str__(self):
        lines = [f"model      {self.model.origin} on {self.latency.device} ({self.hw.name})"]
        for s in self.stages:
            lines.append(f"  {s['name']:<12}{s['ms']:10.3f} ms  ({s['time_kind']})  "
                         f"{_memory_text(s['memory'])}")
        t = self.latency
        lines.append(f"latency    {t.latency_us:.1f} us: host {t.host_us:.1f}, H2D {t.h2d_us:.1f}, "
                     f"compute {t.compute_us:.1f}, D2H {t.d2h_us:.1f}")
        return "\n".join(lines)


def profile(model, *, device=None, runs=10, loads=3, hw=None, input_shapes=None):
    """Profiles `model` (a path, ONNX bytes, a QuantizedModel, CompiledModel or
    Model) on `device` of the simulated NPU; returns a Profile. An ONNX model
    is compiled once without the cache (the compile stage); first load opens
    it on the device once; warm load repeats that `loads` times; inference
    runs `runs` times on one zero input with the device trace on (which
    costs no simulated time)."""
    from . import hw as hw_module
    from .runtime import Runner, _as_model, load_model
    if runs < 1 or loads < 1:
        raise ValueError("runs and loads must be at least 1")
    hw = hw or hw_module.default()
    stages = []
    is_path = isinstance(model, (str, os.PathLike))
    if is_path and os.fspath(model).endswith(".onnx"):
        with _Measure() as m:
            loaded = load_model(model, hw=hw, device=device, input_shapes=input_shapes,
                                cache_dir="none")
        stages.append(m.stage("compile"))
    else:
        loaded = _as_model(model, hw, device, input_shapes, None)

    first = _Measure()
    with first:
        with Runner(loaded, device=device) as runner:
            dram = runner.stats().dram_bytes
    stages.append(first.stage("first load", device_dram_bytes=dram))

    warm = _Measure()
    for _ in range(loads):
        with warm:
            again = (load_model(model, hw=hw, device=device, input_shapes=input_shapes)
                     if is_path else loaded)
            with Runner(again, device=device):
                pass
    stages.append(warm.stage("warm load", device_dram_bytes=dram))

    host = _npusim.HostCostModel(loaded.hw)
    zeros = [np.zeros(d.shape, d.dtype) for d in loaded.inputs()]
    with Runner(loaded, device=device, device_trace=True, host=host) as runner:
        best = None
        for _ in range(runs):
            t = runner.run(zeros).timing
            if best is None or t.latency_ps < best.latency_ps:
                best = t
        stats = runner.stats()
    sram = _npusim.sram_high_water(loaded)
    stages.append({"name": "inference", "ms": best.latency_ps / 1e9,
                   "ms_range": (best.latency_ps / 1e9, best.latency_ps / 1e9),
                   "time_kind": f"simulated, min of {runs}",
                   "memory": {"host_increase_mib": (0.0, 0.0),
                              "host_peak_mib": _mib_range([_host_memory()[1]]),
                              "device_dram_bytes": dram, "sram_per_pe_bytes": (0, sram)}})
    layers = _npusim.layer_table(loaded, stats, best.request, host)
    return Profile(loaded, device, stages, best, stats, layers, loaded.hw)
