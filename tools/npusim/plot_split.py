#!/usr/bin/env python3
"""npusim split --plot: throughput against batch size for each unit alone,
the units together and their sum, and the gain (together over the best unit
alone) beneath, in the shape of the Jetson GPU + DLA study (docs/coop.md).

usage: plot_split.py FIGURES.json OUT.png|OUT.svg
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(figures_path, out_path):
    with open(figures_path) as f:
        figures = json.load(f)
    points = figures["points"]
    units = [u["name"] for u in figures["units"]]
    batch = [p["batch"] for p in points]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(7.5, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    for i, name in enumerate(units):
        top.plot(batch, [p["alone_qps"][i] for p in points], marker="o", label=name + " alone")
    top.plot(batch, [p["sum_qps"] for p in points], linestyle="--", color="grey",
             label="sum of the units alone")
    top.plot(batch, [p["combined_qps"] for p in points], marker="s", linewidth=2.2,
             color="black", label=" + ".join(units) + " together")
    if figures.get("best") is not None:
        best = next(p for p in points if p["batch"] == figures["best"])
        top.annotate("best: batch %d" % best["batch"], (best["batch"], best["combined_qps"]),
                     textcoords="offset points", xytext=(-60, -30))
    top.set_ylabel("throughput (queries/s, simulated)")
    top.set_title("%s on %s" % (figures["model"].split("/")[-1], figures["devices"]))
    top.grid(True, alpha=0.3)
    top.legend(fontsize=8)
    best_alone = [max(p["alone_qps"]) for p in points]
    bottom.plot(batch, [p["gain"] for p in points], marker="o", color="tab:red",
                label="together / best unit alone")
    bottom.plot(batch, [p["sum_qps"] / b if b else 0 for p, b in zip(points, best_alone)],
                linestyle="--", color="grey", label="ideal (sum / best alone)")
    bottom.axhline(1.0, color="black", linewidth=0.8)
    bottom.set_ylabel("gain")
    bottom.set_xlabel("batch size")
    bottom.set_xscale("log", base=2)
    bottom.grid(True, alpha=0.3)
    bottom.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_path, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
