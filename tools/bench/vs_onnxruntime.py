#!/usr/bin/python3
"""Functional npusim against ONNX Runtime on the same QDQ file, side by side.

Each round runs, in alternating order,
  npusim bench MODEL --arithmetic --workload L -n QUERIES -o FIGURES.json
      (host time per query of a functional run: quantise, simulate every
       instruction with its arithmetic, dequantise; start-up excluded)
  node tools/oracle/ort_run.js MODEL --threads 1 --repeat QUERIES
      (ONNX Runtime's median session.run time, load excluded)
on the same all-zero input, and prints both per round (host time per query,
and CPU time per query, which a loaded machine inflates less), their medians
and the ratios npusim / ONNX Runtime (medians of the per-round ratios: pairing
keeps a ratio meaningful when the machine's speed drifts). Both run one
request at a time, ONNX Runtime on one intra-op thread; both figures leave the
first query out (start-up and first-touch costs).

Usage: vs_onnxruntime.py MODEL.int8.onnx [--npusim PATH] [--rounds 5] [--queries 11]
           [--quantize-from FP32.onnx]   (writes MODEL first when it is missing)
           [-o RESULT.json]
Exit status: 0, or 1 with a message naming what failed.
"""

import argparse
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ORT_RUN = os.path.join(HERE, "..", "oracle", "ort_run.js")


def fail(message):
    sys.stderr.write(f"vs_onnxruntime: error: {message}\n")
    sys.exit(1)


def run(cmd, what):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"{what} failed (exit {p.returncode}): {' '.join(cmd)}\n{p.stderr.strip()}")
    return p.stdout


def write_zeros_npy(path, shape):
    """A float32 C-order .npy of zeros (format 1.0), without numpy."""
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}"
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    count = 1
    for d in shape:
        count *= d
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(bytes(4 * count))


def npusim_round(args, figures):
    run([args.npusim, "bench", args.model, "--arithmetic", "--workload", "L", "-n",
         str(args.queries), "-o", figures], "npusim bench")
    with open(figures) as f:
        sim = json.load(f)["simulator"]
    return sim["host_ms_per_query"], sim["cpu_ms_per_query"]


def ort_round(args, feeds):
    out = run(["node", ORT_RUN, args.model, "--threads", "1", "--repeat", str(args.queries)]
              + feeds, "ONNX Runtime (tools/oracle/ort_run.js)")
    m = re.search(r"median ([0-9.]+) ms", out) or re.search(r"run ([0-9.]+) ms", out)
    c = re.search(r"cpu ([0-9.]+) ms per run", out)
    if not m or not c:
        fail(f"no run time in ort_run.js's output:\n{out}")
    return float(m.group(1)), float(c.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--npusim", default="npusim")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--queries", type=int, default=11)
    ap.add_argument("--quantize-from")
    ap.add_argument("-o", "--output")
    args = ap.parse_args()
    if args.rounds < 1 or args.queries < 1:
        fail("--rounds and --queries must be at least 1")
    if not os.path.exists(args.model):
        if not args.quantize_from:
            fail(f"{args.model} not found (give --quantize-from FP32.onnx to make it)")
        print(f"quantising {args.quantize_from} -> {args.model}", flush=True)
        run([args.npusim, "quantize", args.quantize_from, "-o", args.model, "--calib", "random",
             "--calib-count", "4"], "npusim quantize")

    listing = json.loads(run(["node", ORT_RUN, args.model, "--list"], "ort_run.js --list"))
    with tempfile.TemporaryDirectory(prefix="npusim_vs_ort_") as tmp:
        feeds = []
        for i, t in enumerate(listing["inputs"]):
            if t.get("dtype") != "float32" or any(not isinstance(d, int) for d in t["shape"]):
                fail(f"input {t['name']}: only float32 inputs of fixed shape are supported")
            path = os.path.join(tmp, f"input{i}.npy")
            write_zeros_npy(path, t["shape"])
            feeds += ["--input", f"{t['name']}={path}"]
        figures = os.path.join(tmp, "npusim.json")
        rows = []
        print(f"model {args.model}: {args.rounds} rounds of {args.queries} queries each, "
              "one request at a time, ONNX Runtime on 1 thread")
        print("        host ms per query (wall)          CPU ms per query")
        print("round   npusim   ONNX Runtime   ratio    npusim   ONNX Runtime   ratio")
        for r in range(args.rounds):
            if r % 2 == 0:
                sim, cpu = npusim_round(args, figures)
                ort, ort_cpu = ort_round(args, feeds)
            else:
                ort, ort_cpu = ort_round(args, feeds)
                sim, cpu = npusim_round(args, figures)
            rows.append({"npusim_ms": sim, "ort_ms": ort, "ratio": sim / ort,
                         "npusim_cpu_ms": cpu, "ort_cpu_ms": ort_cpu, "cpu_ratio": cpu / ort_cpu})
            print(f"{r + 1:5d}   {sim:6.1f}   {ort:12.1f}   {sim / ort:5.2f}    {cpu:6.1f}   "
                  f"{ort_cpu:12.1f}   {cpu / ort_cpu:5.2f}", flush=True)
    med = {k: statistics.median(row[k] for row in rows) for k in rows[0]}
    print(f"median  {med['npusim_ms']:6.1f}   {med['ort_ms']:12.1f}   {med['ratio']:5.2f}    "
          f"{med['npusim_cpu_ms']:6.1f}   {med['ort_cpu_ms']:12.1f}   {med['cpu_ratio']:5.2f}")
    print(f"npusim / ONNX Runtime = {med['ratio']:.2f} in host time, {med['cpu_ratio']:.2f} in "
          "CPU time (medians of the per-round ratios)")
    if args.output:
        with open(args.output, "w") as f:
            json.dump({"model": args.model, "queries": args.queries, "rounds": rows,
                       "median": med}, f, indent=2)


if __name__ == "__main__":
    main()
