#!/usr/bin/python3
"""Step 7 of the Warboy tutorial: the three runners side by side, with the
factor the simulated timeline predicts for async and queue over sync.

Per frame the sync run gives host time H (preprocess + decode/NMS stages,
quantise/layout, driver), the device phase D and within it the compute C
and the host-link transfers. Sync runs one frame at a time: frames x (H + D).
With W workers, host phases overlap on the host lanes (8 cores) and device
work of one frame overlaps another's host work, but each worker still takes
one frame at a time, so the total approaches the tightest of
    max(frames x H / host lanes, frames x C / PEs,
        frames x max(H2D, D2H), frames x (H + D) / W)
(the bounds `npusim bench --compare-runners` prints). The predicted factor
is sync / that bound.

    examples/warboy_tutorial/bench.py [--size 640] [--frames 1000] [--json F] [--plot F.png]
"""
import asyncio
import json

import async_runner
import common
import queue_runner
import sync_runner


def prediction(sync_stats, frames, host_lanes, pes, workers):
    t = sync_stats.timings[0]
    host_ms, device_ms, compute_ms = t.host_ps / 1e9, t.device_ps / 1e9, t.compute_ps / 1e9
    sync_ms = sync_stats.span_ps / 1e9
    bounds = {"host": frames * host_ms / host_lanes,
              "device": frames * compute_ms / pes,
              "host link": frames * max(t.h2d_ps, t.d2h_ps) / 1e9,
              "worker": frames * (host_ms + device_ms) / workers}
    bound_by = max(bounds, key=bounds.get)
    return {"host_ms": host_ms, "device_ms": device_ms, "compute_ms": compute_ms,
            "sync_ms": sync_ms, "bounds_ms": bounds, "bound_ms": bounds[bound_by],
            "factor": sync_ms / bounds[bound_by], "bound_by": bound_by}


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.2))
    names = [r["runner"] for r in rows]
    ax.bar(names, [r["ms_per_frame"] for r in rows], color="#4e79a7", label="npusim (simulated)")
    ax.scatter(names, [r["tutorial_ms_per_frame"] for r in rows], color="#e15759", zorder=3,
               label="tutorial on Warboy")
    ax.set_ylabel("ms per frame")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title("YOLOv8n, sync vs async vs queue")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--json", default=None, help="write the results as JSON")
    p.add_argument("--plot", default=None, help="write a bar chart (PNG, needs matplotlib)")
    args = p.parse_args()
    model = common.load(args)
    frames = common.frames(model.input(0), args.frames)
    names = common.output_names(model)
    runs = [("sync", "sync", sync_runner.run_sync(args, model, frames, names)),
            ("async", f"async x{args.workers}",
             asyncio.run(async_runner.run_async(args, model, frames, names))),
            ("queue", f"queue x{args.workers}",
             asyncio.run(queue_runner.run_queue(args, model, frames, names)))]
    pes = len(args.device.split(","))
    pred = prediction(runs[0][2], args.frames, model.hw.host_cores, pes, args.workers)
    print(f"per frame  host {pred['host_ms']:.3f} ms (stages {args.pre_ms:g} + {args.post_ms:g} ms), "
          f"device {pred['device_ms']:.3f} ms (compute {pred['compute_ms']:.3f} ms)")
    b = pred["bounds_ms"]
    print(f"predicted  async/queue >= max(host {b['host']:.1f} ({model.hw.host_cores} lanes), "
          f"device {b['device']:.1f} ({pes} PE), host link {b['host link']:.1f}, "
          f"worker {b['worker']:.1f} ({args.workers} workers)) "
          f"= {pred['bound_ms']:.1f} ms ({pred['bound_by']}-bound): "
          f"{pred['factor']:.2f}x faster than sync")
    rows = []
    for kind, label, stats in runs:
        common.report(kind, label, stats, args.frames)
        lat = common.latency_percentiles(stats)
        span_ms = stats.span_ps / 1e9
        rows.append({"runner": label, "total_ms": span_ms, "ms_per_frame": span_ms / args.frames,
                     "speedup_vs_sync": pred["sync_ms"] / span_ms,
                     "latency_ms": {f"p{k}": v / 1e3 for k, v in lat.items()},
                     "npu_percent": common.npu_percent(stats),
                     "tutorial_ms_per_frame":
                         common.TUTORIAL_SECONDS[kind] / common.TUTORIAL_FRAMES * 1e3})
        versus = ("" if kind == "sync" else
                  f"; {pred['sync_ms'] / span_ms:.2f}x sync (predicted {pred['factor']:.2f}x)")
        print(f"           latency p50 {lat[50] / 1e3:.3f} ms, p95 {lat[95] / 1e3:.3f} ms, "
              f"p99 {lat[99] / 1e3:.3f} ms{versus}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"frames": args.frames, "size": args.size, "device": args.device,
                       "prediction": pred, "runners": rows}, f, indent=1)
    if args.plot:
        plot(rows, args.plot)
        print(f"wrote      {args.plot}")


if __name__ == "__main__":
    main()
