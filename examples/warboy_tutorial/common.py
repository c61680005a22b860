"""What the Warboy tutorial's steps share: arguments, file names, frames,
the host stages and how results are printed next to the tutorial's figures.

The tutorial (FuriosaAI's YOLOv8n walk-through) exports YOLOv8n, quantises
it with a progress bar over calibration images, converts the input to uint8,
compiles it, then runs 1000 frames with host post-processing through a sync
runner, an async runner with 8 workers and the queue API. Here
models/build_yolov8n.py stands in for the export (same architecture, cut
before the decode, random weights).
"""
import argparse
import os
import subprocess
import sys

import numpy as np

import npusim
from npusim.runtime import HostStage

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
CACHE = os.environ.get("NPUSIM_CACHE", os.path.expanduser("~/.cache/npusim"))

# The tutorial's totals for 1000 frames of YOLOv8n 640 on a real Warboy with
# Python post-processing (shared/anchors.md): context, not a target.
TUTORIAL_SECONDS = {"sync": 108.0, "async": 5.96, "queue": 6.07}
TUTORIAL_FRAMES = 1000


def parser(description, runners=True):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--size", type=int, default=640, help="input size, a multiple of 32 (640)")
    p.add_argument("--workdir", default=os.path.join(SOURCE_DIR, "out", "tutorial"),
                   help="where models are written (out/tutorial)")
    p.add_argument("--device", default="npu0pe0", help="npu0pe0, npu0pe0-1, npu0pe0,npu0pe1, ...")
    p.add_argument("--calib-count", type=int, default=10,
                   help="calibration images (sample photos and crops of them)")
    if runners:
        p.add_argument("--frames", type=int, default=TUTORIAL_FRAMES, help="frames to run (1000)")
        p.add_argument("--workers", type=int, default=8, help="async/queue workers (8)")
        p.add_argument("--pre-ms", type=float, default=2.0,
                       help="host preprocessing per frame on the timeline, ms (2)")
        p.add_argument("--post-ms", type=float, default=3.0,
                       help="host decode + NMS per frame on the timeline, ms (3); "
                            "negative: the measured wall time of the real decode")
        p.add_argument("--functional", action="store_true",
                       help="compute the outputs (slower; the simulated time is the same)")
    return p


def model_file(args, kind):
    """kind: "fp32" (.onnx), "int8" (.int8.onnx) or "npub"."""
    base = os.path.join(args.workdir, f"yolov8n_{args.size}")
    return {"fp32": base + ".onnx", "int8": base + ".int8.onnx", "npub": base + ".npub"}[kind]


def ensure_fp32(args):
    """The stand-in for the tutorial's export: models/build_yolov8n.py."""
    path = model_file(args, "fp32")
    if not os.path.exists(path):
        os.makedirs(args.workdir, exist_ok=True)
        subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "models", "build_yolov8n.py"),
                        "--size", str(args.size), "--output", path], check=True,
                       stdout=subprocess.DEVNULL)
    return path


def ensure_int8(args):
    """The quantised model, made by quantize.py if it is not there yet."""
    path = model_file(args, "int8")
    if not os.path.exists(path):
        import quantize
        quantize.quantize_model(args)
    return path


def photos():
    folder = os.path.join(CACHE, "images")
    names = sorted(n for n in os.listdir(folder) if n.endswith(".png")) if os.path.isdir(folder) else []
    if not names:
        sys.exit(f"no sample photos in {folder}: run scripts/fetch-images.sh")
    return [os.path.join(folder, n) for n in names]


def frames(desc, count):
    """`count` frames for input `desc`: the sample photos letterboxed to the
    input's size (uint8 raw pixels for a uint8 input), cycled."""
    images = [npusim.vision.load_image(p, desc, letterbox=True, pad_value=114) for p in photos()]
    return [images[i % len(images)] for i in range(count)]


def stages(args, output_names):
    """The per-frame host work the tutorial does around the NPU: preprocessing
    (done here once per photo, so only its time is placed on the timeline) and
    box decode + NMS (run for real on every frame's outputs)."""
    def decode_nms(arrays):
        return [npusim.vision.decode_yolov8(dict(zip(output_names, arrays)))]

    pre = HostStage(cost_ms=args.pre_ms, name="preprocess")
    post = HostStage(decode_nms, cost_ms=None if args.post_ms < 0 else args.post_ms,
                     name="decode + NMS")
    return pre, post


def load(args):
    """The int8 model loaded for args.device (compiled through the compile cache)."""
    return npusim.runtime.load_model(ensure_int8(args), device=args.device)


def output_names(model):
    return [d.name for d in model.outputs()]


def npu_percent(stats):
    used = [p.npu_percent for p in stats.pes if p.cycles]
    return sum(used) / len(used) if used else 0.0


def report(kind, label, stats, frames):
    """One line: the simulated total, per frame, and the tutorial's figure."""
    total_ms = stats.span_ps / 1e9
    tutorial = TUTORIAL_SECONDS[kind]
    print(f"{label:<10} {frames} frames: {total_ms:10.1f} ms simulated ({total_ms / frames:.3f} "
          f"ms/frame, {frames / (total_ms / 1e3):7.1f} frames/s, NPU {npu_percent(stats):5.1f} %)"
          f"   tutorial on Warboy: {tutorial:g} s per {TUTORIAL_FRAMES} frames "
          f"({tutorial / TUTORIAL_FRAMES * 1e3:.2f} ms/frame)")


def latency_percentiles(stats):
    lat = np.array([t.latency_ps for t in stats.timings], dtype=np.float64) / 1e6
    return {p: float(np.percentile(lat, p)) for p in (50, 95, 99)}
