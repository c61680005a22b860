#!/usr/bin/python3
"""How fast npusim simulates, per model, measured side by side.

Each round runs, for every MODEL in turn (the order reversed every other
round, so a drift in the machine's speed falls on all models alike),
  npusim bench MODEL --workload L -n QUERIES -o FIGURES.json [--arithmetic]
and reads its 'simulator' object: host time (wall and CPU) per query from the
first result to the last (start-up and the first query's one-off costs
outside) and the simulated device cycles of that stretch. It prints per model
the medians over rounds of host ms per query, CPU ms per query, simulated
cycles per query, simulated cycles per host second (wall and CPU), and the
host nanoseconds per simulated cycle relative to the first model: 1.00 means
the simulator's cost grows linearly with the simulated work (CPU time, which a
loaded machine inflates less than wall time).

Usage: simulator_speed.py MODEL [MODEL ...] [--npusim PATH] [--rounds 5]
           [--queries 21] [--arithmetic] [-o RESULT.json]
Exit status: 0, or 1 with a message naming what failed.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def fail(message):
    sys.stderr.write(f"simulator_speed: error: {message}\n")
    sys.exit(1)


def bench_once(args, model, figures):
    cmd = [args.npusim, "bench", model, "--workload", "L", "-n", str(args.queries), "-o", figures]
    if args.arithmetic:
        cmd.append("--arithmetic")
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"npusim bench failed (exit {p.returncode}): {' '.join(cmd)}\n{p.stderr.strip()}")
    with open(figures) as f:
        sim = json.load(f)["simulator"]
    queries = args.queries - 1  # the figures leave the first query out
    return {"host_ms": sim["host_ms_per_query"], "cpu_ms": sim["cpu_ms_per_query"],
            "cycles": sim["simulated_cycles"] / queries,
            "cycles_per_s": sim["simulated_cycles_per_host_second"],
            "cycles_per_cpu_s": sim["simulated_cycles"] / (queries * sim["cpu_ms_per_query"] / 1e3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--npusim", default="npusim")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--queries", type=int, default=21)
    ap.add_argument("--arithmetic", action="store_true")
    ap.add_argument("-o", "--output")
    args = ap.parse_args()
    if args.rounds < 1 or args.queries < 2:
        fail("--rounds must be at least 1 and --queries at least 2")
    for m in args.models:
        if not os.path.exists(m):
            fail(f"{m} not found")
    runs = {m: [] for m in args.models}
    mode = "functional" if args.arithmetic else "timing-only"
    print(f"{mode}, {args.rounds} rounds of {args.queries} queries per model, one at a time")
    with tempfile.TemporaryDirectory(prefix="npusim_speed_") as tmp:
        figures = os.path.join(tmp, "figures.json")
        for r in range(args.rounds):
            order = args.models if r % 2 == 0 else list(reversed(args.models))
            for m in order:
                row = bench_once(args, m, figures)
                runs[m].append(row)
                print(f"round {r + 1}  {os.path.basename(m):28s} {row['host_ms']:8.2f} ms "
                      f"(CPU {row['cpu_ms']:.2f})  {row['cycles_per_s'] / 1e6:8.1f} M cycles/s",
                      flush=True)
    med = {m: {k: statistics.median(row[k] for row in rows) for k in rows[0]}
           for m, rows in runs.items()}
    base = med[args.models[0]]
    base_ns = base["cpu_ms"] * 1e6 / base["cycles"]
    print("medians:")
    print("model                          host ms   CPU ms   M cycles   M cycles/s   "
          "M cycles/CPU s   CPU ns per cycle vs first")
    for m in args.models:
        f = med[m]
        ns = f["cpu_ms"] * 1e6 / f["cycles"]
        f["cpu_ns_per_cycle_vs_first"] = ns / base_ns
        print(f"{os.path.basename(m):28s} {f['host_ms']:9.2f} {f['cpu_ms']:8.2f} "
              f"{f['cycles'] / 1e6:10.2f} {f['cycles_per_s'] / 1e6:12.1f} "
              f"{f['cycles_per_cpu_s'] / 1e6:16.1f}   {ns / base_ns:.2f}")
    if args.output:
        with open(args.output, "w") as f:
            json.dump({"mode": mode, "queries": args.queries, "runs": runs, "median": med}, f,
                      indent=2)


if __name__ == "__main__":
    main()
