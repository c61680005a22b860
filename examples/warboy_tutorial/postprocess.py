#!/usr/bin/python3
"""Step 6 of the Warboy tutorial: host post-processing. One photo through the
NPU (with the arithmetic), then on the host: the DFL box decode, the best
class per cell and class-aware NMS (npusim.vision, the C++ the command line
uses); the boxes are drawn on the photo. The weights are random, so the
boxes are too: what matters is where the time goes.

    examples/warboy_tutorial/postprocess.py [--size 640] [--photo PATH] [-o boxes.png]
"""
import os
import time

import common
import npusim
from npusim.runtime import create_runner


def main():
    p = common.parser(__doc__.splitlines()[0], runners=False)
    p.add_argument("--photo", default=None, help="the photo (default: the first sample photo)")
    p.add_argument("-o", "--output", default=None, help="PNG with the boxes (default: in --workdir)")
    args = p.parse_args()
    model = common.load(args)
    photo = args.photo or common.photos()[0]
    x = npusim.vision.load_image(photo, model.input(0), letterbox=True, pad_value=114)
    with create_runner(model, device=args.device) as runner:
        outputs = runner.run(x)
    t0 = time.perf_counter()
    boxes = npusim.vision.decode_yolov8(outputs, score_threshold=0.25, iou_threshold=0.45)
    host_ms = (time.perf_counter() - t0) * 1e3
    t = outputs.timing
    print(f"npu        {t.latency_us:.1f} us simulated (host {t.host_us:.1f}, H2D {t.h2d_us:.1f}, "
          f"compute {t.compute_us:.1f}, D2H {t.d2h_us:.1f})")
    print(f"decode+NMS {len(boxes)} box(es) in {host_ms:.2f} ms of this host's wall time")
    for x0, y0, x1, y1, score, cls in boxes[:5].tolist():
        print(f"  class {int(cls):2d}  score {score:.3f}  box ({x0:.3f}, {y0:.3f})-({x1:.3f}, {y1:.3f})")
    # The boxes are in the letterboxed input's coordinates: draw them on that.
    image = npusim.vision.load_image(photo, (1, args.size, args.size, 3), scale=1.0,
                                     letterbox=True, pad_value=114, layout="nhwc")[0]
    out = args.output or os.path.join(args.workdir, f"boxes_{args.size}.png")
    npusim.vision.write_png(npusim.vision.draw_boxes(image.astype("uint8"), boxes), out)
    print(f"wrote      {out}")


if __name__ == "__main__":
    main()
