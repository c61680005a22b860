#!/usr/bin/python3
"""BlazeFace on the simulated NPU through the npusim Python package: the twin
of examples/cpp/blazeface_run.cpp, printing the same lines (output
checksums, exact simulated timing, faces), so the two can be compared.

    blazeface_run.py MODEL(.npub|.int8.onnx) PHOTO [DEVICE]
"""
import sys

import npusim
from npusim.runtime import create_runner


def fnv1a(data):
    """FNV-1a, 64 bits, as the C++ program computes it."""
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def main(model, photo, device="npu0pe0"):
    with create_runner(model, device=device) as runner:
        desc = runner.model.input(0)
        x = npusim.vision.load_image(photo, desc, scale=2 / 255, mean=1.0)  # [-1, 1]
        outputs = runner.run(x)
    t = outputs.timing
    print(f"device     {t.device}")
    for desc, array in zip(runner.model.outputs(), outputs):
        shape = "x".join(str(d) for d in array.shape)
        print(f"output     {desc.name} {array.dtype} {shape} fnv1a {fnv1a(array.tobytes()):016x}")
    print(f"timing_ps  latency {t.latency_ps} host {t.host_ps} h2d {t.h2d_ps} "
          f"compute {t.compute_ps} d2h {t.d2h_ps} device {t.device_ps}")
    faces, _ = npusim.vision.decode_blazeface(outputs)
    print(f"faces      {len(faces)}")
    for x0, y0, x1, y1, score, _cls in faces.tolist():
        print(f"face       score {score:.6f} box {x0:.6f} {y0:.6f} {x1:.6f} {y1:.6f}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: blazeface_run.py MODEL PHOTO [DEVICE]")
    main(*sys.argv[1:4])
