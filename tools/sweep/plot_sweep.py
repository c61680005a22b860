#!/usr/bin/python3
"""Plots of an npusim sweep database (docs/sweep.md, "Plots").

usage: /usr/bin/python3 plot_sweep.py RESULTS.sqlite OUT_DIR   (npusim plot runs it)

Writes, as PNG and SVG, into OUT_DIR:
  latency_vs_<param>   simulated latency against each swept parameter
  throughput_vs_<param> queries per simulated second against each swept parameter
  roofline_<model>_<mode>  per-layer roofline: MAC/s against MACs per DRAM byte,
                       with the compute and DRAM-bandwidth roofs, coloured by layer type
  modes_<model>        single vs fused vs two-PE at every hardware point
and index.html: one self-contained page with every plot (inline SVG) and the
table of points. Needs Debian's python3-matplotlib (scripts/install-deps.sh).
"""
import html
import math
import os
import re
import sqlite3
import sys
from collections import OrderedDict, defaultdict

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
except ImportError:
    sys.exit("plot_sweep.py: matplotlib is missing: run scripts/install-deps.sh "
             "(python3-matplotlib, for /usr/bin/python3)")

MODE_COLOURS = {"single": "#1f77b4", "fused": "#d62728", "two-pe": "#2ca02c"}
MODE_ORDER = ["single", "fused", "two-pe"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">"]
LINESTYLES = ["-", "--", ":", "-."]
# Parameters that move a roofline's roofs: the panels of a roofline figure vary one of them.
ROOF_PARAMS = ["dram_bandwidth", "clock", "array_rows", "array_cols", "array"]


def human(value, unit):
    """A parameter's value in its base unit as people write it (16MiB, 66GB/s, 2GHz)."""
    if unit == "B":
        for suffix, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
            if value >= size and value % size == 0:
                return f"{value // size}{suffix}"
            if value >= size:
                return f"{value / size:g}{suffix}"
        return f"{value}B"
    scales = {"B/s": (("GB/s", 1e9), ("MB/s", 1e6)), "Hz": (("GHz", 1e9), ("MHz", 1e6)),
              "ns": (("ms", 1e6), ("us", 1e3))}
    for suffix, size in scales.get(unit, ()):
        if value >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}{unit}" if isinstance(value, (int, float)) else str(value)


def slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


class Results:
    """The database's ok points and their layers, and what was swept."""

    def __init__(self, path):
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db.row_factory = sqlite3.Row
        self.points = [dict(r) for r in db.execute(
            "SELECT * FROM points ORDER BY rowid")]
        self.ok = [p for p in self.points if p["status"] == "ok"]
        self.units = {r["key"]: r["unit"] for r in db.execute("SELECT key, unit FROM params")}
        self.layers = defaultdict(list)
        for r in db.execute("SELECT * FROM layers ORDER BY point_key, idx"):
            self.layers[r["point_key"]].append(dict(r))
        declared = []
        for (keys,) in db.execute("SELECT swept_keys FROM sweeps ORDER BY id"):
            for k in (keys or "").split(","):
                if k and k not in declared:
                    declared.append(k)
        # What varies among the ok points, in the order the specs declared it.
        self.swept = [k for k in declared if k in (self.ok[0] if self.ok else {}) and
                      len({p[k] for p in self.ok}) > 1]
        self.models = list(OrderedDict.fromkeys(p["model"] for p in self.ok))
        self.modes = [m for m in MODE_ORDER if any(p["mode"] == m for p in self.ok)]
        self.workloads = sorted({(p["workload"], p["workers"]) for p in self.ok},
                                key=lambda w: (w[0] != "latency", w[1]))

    def value_text(self, key, value):
        return human(value, self.units.get(key, "")) if isinstance(value, int) else str(value)


def save(fig, out_dir, name, written, right=1.0):
    # Room for the suptitle (and a legend on the right); no overlapping panels.
    fig.tight_layout(rect=(0, 0, right, 0.97))
    fig.savefig(os.path.join(out_dir, name + ".png"), dpi=110, bbox_inches="tight")
    plt.rcParams["svg.hashsalt"] = name  # unique, stable ids when SVGs share a page
    fig.savefig(os.path.join(out_dir, name + ".svg"), bbox_inches="tight")
    plt.close(fig)
    written.append(name)


def set_parameter_axis(ax, res, key, values):
    values = sorted(values)
    positive = all(isinstance(v, (int, float)) and v > 0 for v in values)
    if positive and values[-1] / values[0] >= 8:
        ax.set_xscale("log", base=2)
    if isinstance(values[0], (int, float)):
        ax.xaxis.set_major_locator(FixedLocator(values))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: res.value_text(key, int(v))))
    unit = res.units.get(key, "")
    ax.set_xlabel(key + (f" ({unit})" if unit and not isinstance(values[0], int) else ""))


def figure_vs_parameter(res, key, metric, ylabel, name, out_dir, written):
    """One panel per model and workload; a line per mode and setting of the other swept keys."""
    others = [k for k in res.swept if k != key]
    settings = sorted({tuple(p[k] for k in others) for p in res.ok})
    panels = [(m, w) for m in res.models for w in res.workloads]
    cols = min(len(res.workloads), 3) if len(res.workloads) > 1 else min(len(panels), 2)
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.4 * cols, 4.2 * rows), squeeze=False)
    for ax, (model, (workload, workers)) in zip(axes.flat, panels):
        points = [p for p in res.ok if p["model"] == model and p["workload"] == workload
                  and p["workers"] == workers]
        lines = defaultdict(list)
        for p in points:
            lines[(p["mode"], tuple(p[k] for k in others))].append(p)
        for (mode, setting), pts in sorted(lines.items(), key=lambda kv: (
                MODE_ORDER.index(kv[0][0]), kv[0][1])):
            pts.sort(key=lambda p: p[key])
            i = settings.index(setting)
            ax.plot([p[key] for p in pts], [p[metric] for p in pts], color=MODE_COLOURS[mode],
                    marker=MARKERS[i % len(MARKERS)], linestyle=LINESTYLES[i % len(LINESTYLES)])
        set_parameter_axis(ax, res, key, {p[key] for p in points})
        title = f"{model}, {workload}" + (f" ({workers} workers)" if workload == "throughput" else "")
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    # One legend for the figure: colour is the mode, marker and line the other settings.
    handles = [Line2D([], [], color=MODE_COLOURS[m], label=m) for m in res.modes]
    for i, setting in enumerate(settings):
        label = ", ".join(f"{k}={res.value_text(k, v)}" for k, v in zip(others, setting))
        if label:
            handles.append(Line2D([], [], color="grey", marker=MARKERS[i % len(MARKERS)],
                                  linestyle=LINESTYLES[i % len(LINESTYLES)], label=label))
    fig.legend(handles=handles, loc="center right", fontsize=8)
    fig.suptitle(f"{ylabel} against {key}")
    save(fig, out_dir, name, written, right=0.8 if others else 0.9)


def reference_settings(res, points, panel_key):
    """For a roofline: the other swept keys held at their warboy-like (largest) value."""
    fixed = {}
    for k in res.swept:
        if k != panel_key:
            fixed[k] = max(p[k] for p in points)
    return fixed


def roofline(res, model, mode, out_dir, written):
    workload = res.workloads[0]
    points = [p for p in res.ok if p["model"] == model and p["mode"] == mode and
              (p["workload"], p["workers"]) == workload and res.layers.get(p["point_key"])]
    if not points:
        return
    panel_key = next((k for k in ROOF_PARAMS if k in res.swept), res.swept[0] if res.swept else None)
    fixed = reference_settings(res, points, panel_key)
    chosen = [p for p in points if all(p[k] == v for k, v in fixed.items())]
    chosen.sort(key=lambda p: p[panel_key] if panel_key else 0)
    chosen = chosen[:6]
    ops = sorted({l["op"] for p in chosen for l in res.layers[p["point_key"]]
                  if l["macs"] and l["dma_bytes"] and l["cycles"]})
    colours = {op: plt.cm.tab10(i % 10) for i, op in enumerate(ops)}
    cols = min(len(chosen), 3)
    rows = math.ceil(len(chosen) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.6 * cols, 4.4 * rows), squeeze=False)
    for ax, p in zip(axes.flat, chosen):
        pes = 2 if p["mode"] == "fused" else 1
        peak = p["array_rows"] * p["array_cols"] * p["clock"] * pes  # MAC/s
        bandwidth = p["dram_bandwidth"]  # B/s
        layers = [l for l in res.layers[p["point_key"]]
                  if l["macs"] and l["dma_bytes"] and l["cycles"]]
        xs = [l["macs"] / l["dma_bytes"] for l in layers]
        lo, hi = min(xs + [peak / bandwidth]) / 4, max(xs + [peak / bandwidth]) * 4
        grid = [lo * (hi / lo) ** (i / 100) for i in range(101)]
        ax.plot(grid, [min(peak, bandwidth * x) for x in grid], color="black", linewidth=1.5,
                label="roof")
        ax.axvline(peak / bandwidth, color="grey", linestyle=":", linewidth=1)
        for op in ops:
            sel = [l for l in layers if l["op"] == op]
            ax.scatter([l["macs"] / l["dma_bytes"] for l in sel],
                       [l["macs"] / (l["time_us"] * 1e-6) for l in sel],
                       color=colours[op], s=18, label=op, alpha=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("MACs per DRAM byte")
        ax.set_ylabel("MAC/s")
        setting = f"{panel_key}={res.value_text(panel_key, p[panel_key])}" if panel_key else "base"
        ax.set_title(f"{setting}: compute roof {peak / 1e12:.1f} TMAC/s, "
                     f"DRAM {bandwidth / 1e9:g} GB/s", fontsize=9)
        ax.grid(True, which="both", alpha=0.2)
        ax.legend(fontsize=7, loc="lower right")
    for ax in list(axes.flat)[len(chosen):]:
        ax.set_visible(False)
    held = ", ".join(f"{k}={res.value_text(k, v)}" for k, v in fixed.items())
    fig.suptitle(f"{model} ({mode}) per-layer roofline" + (f"; {held}" if held else ""))
    save(fig, out_dir, f"roofline_{slug(model)}_{mode}", written)


def modes_comparison(res, model, out_dir, written):
    """Grouped bars: the modes side by side at every hardware point."""
    points = [p for p in res.ok if p["model"] == model]
    settings = sorted({tuple(p[k] for k in res.swept) for p in points})
    labels = ["\n".join(res.value_text(k, v) for k, v in zip(res.swept, s)) or "base"
              for s in settings]
    width = 0.8 / max(1, len(res.modes))
    metrics = (("latency_mean_us", "latency (us)"), ("qps", "queries per second"))
    rows = [(w, m) for w in res.workloads for m in metrics]
    fig, axes = plt.subplots(len(rows), 1, figsize=(max(8.0, 0.5 * len(labels) + 2), 3.2 * len(rows)),
                             squeeze=False)
    for ax, ((workload, workers), (metric, ylabel)) in zip(axes[:, 0], rows):
        for i, mode in enumerate(res.modes):
            value = {tuple(p[k] for k in res.swept): p[metric] for p in points
                     if p["mode"] == mode and (p["workload"], p["workers"]) == (workload, workers)}
            xs = [j + (i - (len(res.modes) - 1) / 2) * width for j in range(len(settings))]
            ax.bar(xs, [value.get(s, 0) for s in settings], width, label=mode,
                   color=MODE_COLOURS[mode])
        ax.set_xticks(range(len(settings)))
        ax.set_xticklabels(labels, fontsize=7)
        ax.set_xlabel(" / ".join(res.swept), fontsize=8)
        ax.set_ylabel(ylabel)
        what = "latency" if metric == "latency_mean_us" else "queries per second"
        ax.set_title(f"{what}, {workload} workload"
                     + (f" ({workers} workers)" if workload == "throughput" else ""))
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{model}: single vs fused vs two PEs")
    save(fig, out_dir, f"modes_{slug(model)}", written)


def svg_body(path):
    text = open(path, encoding="utf-8").read()
    return text[text.index("<svg"):]


def table_html(res):
    columns = ["model", "mode", "workload", "label", "status", "latency_mean_us", "qps",
               "npu_pct", "comp_pct", "io_pct", "dram_bytes", "sram_use_bytes", "error"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    rows = []
    for p in res.points:
        cells = []
        for c in columns:
            v = p.get(c)
            if isinstance(v, float):
                v = f"{v:.1f}"
            cells.append(f"<td>{html.escape('' if v is None else str(v))}</td>")
        rows.append(f'<tr class="point-row" data-status="{html.escape(p["status"])}">'
                    + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def write_page(res, out_dir, written, db_path):
    figures = []
    for name in written:
        figures.append(f'<figure class="plot" data-plot="{html.escape(name)}">'
                       f"{svg_body(os.path.join(out_dir, name + '.svg'))}"
                       f"<figcaption>{html.escape(name)} "
                       f'(<a href="{html.escape(name)}.png">PNG</a>, '
                       f'<a href="{html.escape(name)}.svg">SVG</a>)</figcaption></figure>')
    swept = ", ".join(res.swept) or "nothing"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>npusim sweep {html.escape(os.path.basename(db_path))}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
figure.plot {{ margin: 1em 0; }} figure.plot svg {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; font-size: 12px; }}
td, th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: right; }}
tr[data-status="failed"] {{ background: #fdd; }}
</style></head><body>
<h1>npusim sweep: {html.escape(os.path.basename(db_path))}</h1>
<p id="summary">{len(res.points)} points ({len(res.ok)} ok), models {html.escape(", ".join(res.models))},
modes {html.escape(", ".join(res.modes))}, swept: {html.escape(swept)}.</p>
{''.join(figures)}
<h2>Points</h2>
{table_html(res)}
</body></html>
"""
    tmp = os.path.join(out_dir, "index.html.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, os.path.join(out_dir, "index.html"))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    db_path, out_dir = sys.argv[1], sys.argv[2]
    res = Results(db_path)
    if not res.ok:
        sys.exit(f"plot_sweep.py: {db_path} has no successful points to plot")
    os.makedirs(out_dir, exist_ok=True)
    plt.rcParams["svg.fonttype"] = "none"  # text as text: smaller pages, searchable
    written = []
    for key in res.swept:
        figure_vs_parameter(res, key, "latency_mean_us", "latency (us, simulated)",
                            f"latency_vs_{key}", out_dir, written)
        figure_vs_parameter(res, key, "qps", "queries per simulated second",
                            f"throughput_vs_{key}", out_dir, written)
    for model in res.models:
        for mode in res.modes:
            roofline(res, model, mode, out_dir, written)
        if len(res.modes) > 1:
            modes_comparison(res, model, out_dir, written)
    write_page(res, out_dir, written, db_path)
    print(f"wrote {len(written)} plots (PNG and SVG) and {os.path.join(out_dir, 'index.html')}")


if __name__ == "__main__":
    main()
