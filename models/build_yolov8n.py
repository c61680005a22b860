#!/usr/bin/python3
"""Builds YOLOv8n (Ultralytics architecture, scale n) as ONNX with random weights.

No torch: onnx.helper + numpy only. Deterministic (seeded numpy), opset 13.

Graph conventions follow a PyTorch export of the unfused model:
  Conv   = Conv2d(no bias) -> BatchNormalization -> SiLU written as x * Sigmoid(x)
  C2f    = Conv k1 -> Split(2 halves) -> n Bottlenecks on the last half -> Concat -> Conv k1
  SPPF   = Conv k1 -> MaxPool(k5,s1,p2) x3 chained -> Concat(4) -> Conv k1
  Upsample x2 = Resize(X, roi='', scales=[1,1,2,2]) nearest/asymmetric/floor
By default the graph is cut before the Detect decode: the outputs are the six
head convolutions (box: 4 sides x 16 DFL bins = 64 channels, cls: 80 classes) at
strides 8, 16 and 32, named as in an Ultralytics ONNX export, where the Warboy
tutorial cuts it:
  /model.22/cv2.{0,1,2}/cv2.{0,1,2}.2/Conv_output_0   box, strides 8, 16, 32
  /model.22/cv3.{0,1,2}/cv3.{0,1,2}.2/Conv_output_0   cls
With --export the graph goes on as the export does: the decode (Concat and
Reshape per level, Split, DFL softmax and 1x1 conv, dist2bbox with anchors and
strides, class Sigmoid) to one output `output0` [1, 84, anchors] (cx, cy, w, h,
80 class scores): the model a user has before cutting it.

Initializer names follow the Ultralytics state dict (model.<layer>.<module>...).

Weights: He-initialised conv weights; BatchNormalization running mean/var are
calibrated like a trained network's: the builder runs the graph in numpy on a
fixed synthetic photo-like image (1x3x640x640, independent of --size, so the
weights are the same at every input size) and stores each conv output's
per-channel mean and variance; gamma = exp(0.25 N(0,1)) (per-channel scale
spread, as in trained nets), beta = 0.2 N(0,1). On photos every SiLU then sees
roughly N(beta, gamma^2) and activations stay within about [-0.84, 15] through
all 57 layers instead of fading out (i.i.d. noise is out of distribution: ~90).
Head convolutions (1x1 with bias): std 1/sqrt(fan_in) weights, box bias 1.0
(Ultralytics' init), class bias -4.0 (a few random detections pass 0.25).

Usage: /usr/bin/python3 models/build_yolov8n.py [--size 640] [--output PATH]
           [--seed 0] [--classes 80] [--fold-bn] [--export]
"""

import argparse
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
REG_MAX = 16


CALIB_SHAPE = (1, 3, 640, 640)   # BN calibration input (fixed, whatever --size is)
BN_EPS = 1e-3                    # Ultralytics BatchNorm2d(eps=0.001)


def np_conv(x, w, b, s):
    """Conv2d, 'same' padding k//2, stride s, NCHW float32 (im2col + tensordot)."""
    k = w.shape[2]
    p = k // 2
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    cols = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::s, ::s]
    y = np.tensordot(cols, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    if b is not None:
        y = y + b[None, :, None, None]
    return np.ascontiguousarray(y, dtype=np.float32)


def np_silu(x):
    return (x * (0.5 * (1.0 + np.tanh(0.5 * x)))).astype(np.float32)


def np_maxpool(x, k):
    p = k // 2
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    return np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3)).max(axis=(4, 5))


def calib_input(seed):
    """Synthetic image in [0, 1] with a photo-like spectrum: random blocks at six
    scales (4..128 pixels, a crude 1/f spectrum) plus a little pixel noise."""
    r = np.random.default_rng([seed, 1])
    n, c, h, w = CALIB_SHAPE
    x = np.zeros(CALIB_SHAPE, np.float32)
    cells = (4, 8, 16, 32, 64, 128)
    for cell in cells:
        x += r.uniform(-1, 1, (n, c, h // cell, w // cell)).repeat(cell, axis=2).repeat(cell, axis=3)
    x = x / len(cells) + 0.5 + 0.05 * r.standard_normal(CALIB_SHAPE)
    return np.clip(x, 0, 1).astype(np.float32)


class Builder:
    def __init__(self, seed, fold_bn):
        self.rng = np.random.default_rng(seed)
        self.fold_bn = fold_bn
        self.vals = {}          # tensor name -> numpy value on the calibration batch
        self.nodes = []
        self.inits = []
        self.params_fused = 0   # conv weights + biases after folding BN (Ultralytics "fused" count)
        self.init_elems = 0     # every initializer element written
        self.macs = 0
        self.shapes = {}        # tensor name -> (C, H, W)

    # -- helpers ---------------------------------------------------------
    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(array, name))
        self.init_elems += array.size
        return name

    def node(self, op, inputs, outputs, name, **attrs):
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))
        return outputs[0]

    # -- layers ----------------------------------------------------------
    def conv2d(self, x, cout, k, s, prefix, bias, w_std, out_name):
        """Plain Conv2d with bias (the head's last convolutions). Returns output name."""
        cin, h, w = self.shapes[x]
        p = k // 2
        weight = (self.rng.standard_normal((cout, cin, k, k)) * w_std).astype(np.float32)
        bias = np.asarray(bias, dtype=np.float32)
        inputs = [x, self.init(prefix + ".weight", weight), self.init(prefix + ".bias", bias)]
        ho = (h + 2 * p - k) // s + 1
        wo = (w + 2 * p - k) // s + 1
        out = self.node("Conv", inputs, [out_name], out_name.replace("_output_0", ""),
                        kernel_shape=[k, k], strides=[s, s], pads=[p, p, p, p],
                        dilations=[1, 1], group=1)
        self.shapes[out] = (cout, ho, wo)
        self.vals[out] = np_conv(self.vals[x], weight, bias, s)
        self.params_fused += weight.size + cout
        self.macs += cout * ho * wo * cin * k * k
        return out

    def conv(self, x, cout, k, s, prefix):
        """Ultralytics Conv: Conv2d(no bias) + BN + SiLU (x * Sigmoid(x))."""
        cin, h, w = self.shapes[x]
        rng = self.rng
        gamma = np.exp(0.25 * rng.standard_normal(cout)).astype(np.float32)
        beta = (0.2 * rng.standard_normal(cout)).astype(np.float32)
        std = math.sqrt(2.0 / (cin * k * k))   # He init
        weight = (rng.standard_normal((cout, cin, k, k)) * std).astype(np.float32)
        # Calibrate the BN running statistics on the conv output.
        z = np_conv(self.vals[x], weight, None, s)
        mean = z.mean(axis=(0, 2, 3), dtype=np.float64).astype(np.float32)
        var = z.var(axis=(0, 2, 3), dtype=np.float64).astype(np.float32)
        scale = gamma / np.sqrt(var + BN_EPS)
        p = k // 2
        ho = (h + 2 * p - k) // s + 1
        wo = (w + 2 * p - k) // s + 1
        conv_attrs = dict(kernel_shape=[k, k], strides=[s, s], pads=[p, p, p, p],
                          dilations=[1, 1], group=1)
        if self.fold_bn:
            wf = (weight * scale[:, None, None, None]).astype(np.float32)
            bf = (beta - mean * scale).astype(np.float32)
            y = self.node("Conv", [x, self.init(prefix + ".conv.weight", wf),
                                   self.init(prefix + ".conv.bias", bf)],
                          [prefix + ".conv.out"], prefix + ".conv", **conv_attrs)
        else:
            c = self.node("Conv", [x, self.init(prefix + ".conv.weight", weight)],
                          [prefix + ".conv.out"], prefix + ".conv", **conv_attrs)
            self.shapes[c] = (cout, ho, wo)
            y = self.node("BatchNormalization",
                          [c, self.init(prefix + ".bn.weight", gamma),
                           self.init(prefix + ".bn.bias", beta),
                           self.init(prefix + ".bn.running_mean", mean),
                           self.init(prefix + ".bn.running_var", var)],
                          [prefix + ".bn.out"], prefix + ".bn", epsilon=BN_EPS, momentum=0.9)
        self.shapes[y] = (cout, ho, wo)
        self.params_fused += weight.size + cout   # + cout: the folded BN bias
        self.macs += cout * ho * wo * cin * k * k
        sig = self.node("Sigmoid", [y], [prefix + ".act.sigmoid"], prefix + ".act.Sigmoid")
        out = self.node("Mul", [y, sig], [prefix + ".act.out"], prefix + ".act.Mul")
        self.shapes[sig] = self.shapes[out] = self.shapes[y]
        self.vals[out] = np_silu((z - mean[None, :, None, None]) * scale[None, :, None, None]
                                 + beta[None, :, None, None])
        return out

    def concat(self, xs, prefix):
        c = sum(self.shapes[x][0] for x in xs)
        _, h, w = self.shapes[xs[0]]
        assert all(self.shapes[x][1:] == (h, w) for x in xs), prefix
        out = self.node("Concat", xs, [prefix + ".out"], prefix, axis=1)
        self.shapes[out] = (c, h, w)
        self.vals[out] = np.concatenate([self.vals[x] for x in xs], axis=1)
        return out

    def c2f(self, x, cout, n, shortcut, prefix):
        c = cout // 2
        y = self.conv(x, 2 * c, 1, 1, prefix + ".cv1")
        split = self.init(prefix + ".split", np.array([c, c], dtype=np.int64))
        a, b = prefix + ".split.out0", prefix + ".split.out1"
        self.node("Split", [y, split], [a, b], prefix + ".Split", axis=1)
        _, h, w = self.shapes[y]
        self.shapes[a] = self.shapes[b] = (c, h, w)
        self.vals[a], self.vals[b] = self.vals[y][:, :c], self.vals[y][:, c:]
        parts = [a, b]
        for i in range(n):
            m = f"{prefix}.m.{i}"
            t = self.conv(parts[-1], c, 3, 1, m + ".cv1")
            t = self.conv(t, c, 3, 1, m + ".cv2")
            if shortcut:
                t2 = self.node("Add", [parts[-1], t], [m + ".add"], m + ".Add")
                self.shapes[t2] = (c, h, w)
                self.vals[t2] = self.vals[parts[-1]] + self.vals[t]
                t = t2
            parts.append(t)
        y = self.concat(parts, prefix + ".Concat")
        return self.conv(y, cout, 1, 1, prefix + ".cv2")

    def sppf(self, x, cout, k, prefix):
        cin = self.shapes[x][0]
        y = self.conv(x, cin // 2, 1, 1, prefix + ".cv1")
        parts = [y]
        for i in range(3):
            t = self.node("MaxPool", [parts[-1]], [f"{prefix}.m.{i}.out"], f"{prefix}.m.{i}",
                          kernel_shape=[k, k], strides=[1, 1], pads=[k // 2] * 4)
            self.shapes[t] = self.shapes[y]
            self.vals[t] = np_maxpool(self.vals[parts[-1]], k)
            parts.append(t)
        y = self.concat(parts, prefix + ".Concat")
        return self.conv(y, cout, 1, 1, prefix + ".cv2")

    def upsample(self, x, prefix):
        scales = self.init(prefix + ".scales", np.array([1, 1, 2, 2], dtype=np.float32))
        out = self.node("Resize", [x, "", scales], [prefix + ".out"], prefix,
                        mode="nearest", coordinate_transformation_mode="asymmetric",
                        nearest_mode="floor")
        c, h, w = self.shapes[x]
        self.shapes[out] = (c, 2 * h, 2 * w)
        self.vals[out] = self.vals[x].repeat(2, axis=2).repeat(2, axis=3)
        return out

    def const(self, name, array):
        return self.init(name, np.asarray(array))

    def decode(self, heads, nc, size):
        """The Detect head's export-mode decode, as Ultralytics writes it to ONNX:
        per level Concat(box, cls) and Reshape to [1, 64 + nc, H*W]; Concat the
        levels; Split into box and cls; DFL (softmax over 16 bins, 1x1 conv with
        weights 0..15); dist2bbox around the cell centres, times the strides;
        Sigmoid on the class logits; Concat -> output0 [1, 4 + nc, anchors]."""
        p = "/model.22"
        no = 4 * REG_MAX + nc
        flat, anchors, strides = [], [], []
        for i, (box, cls, stride) in enumerate(heads):
            _, h, w = self.shapes[box]
            cat = self.node("Concat", [box, cls], [f"{p}/Concat{'_' + str(i) if i else ''}_output_0"],
                            f"{p}/Concat{'_' + str(i) if i else ''}", axis=1)
            shape = self.const(f"{p}/Constant_{i}_output_0", np.array([1, no, -1], np.int64))
            flat.append(self.node("Reshape", [cat, shape], [f"{p}/Reshape_{i}_output_0"],
                                  f"{p}/Reshape_{i}"))
            ys, xs = np.meshgrid(np.arange(h) + 0.5, np.arange(w) + 0.5, indexing="ij")
            anchors.append(np.stack([xs.ravel(), ys.ravel()]))
            strides.append(np.full(h * w, stride))
        n = sum(a.shape[1] for a in anchors)
        x = self.node("Concat", flat, [f"{p}/Concat_3_output_0"], f"{p}/Concat_3", axis=2)
        split = self.const(f"{p}/split", np.array([4 * REG_MAX, nc], np.int64))
        box, cls = f"{p}/Split_output_0", f"{p}/Split_output_1"
        self.node("Split", [x, split], [box, cls], f"{p}/Split", axis=1)
        # DFL: [1, 64, n] -> [1, 4, 16, n] -> [1, 16, 4, n], softmax over the bins,
        # expected value by a 1x1 conv with weights 0..15 -> [1, 4, n].
        d = f"{p}/dfl"
        t = self.node("Reshape", [box, self.const(f"{d}/shape0", np.array([1, 4, REG_MAX, n], np.int64))],
                      [f"{d}/Reshape_output_0"], f"{d}/Reshape")
        t = self.node("Transpose", [t], [f"{d}/Transpose_output_0"], f"{d}/Transpose", perm=[0, 2, 1, 3])
        t = self.node("Softmax", [t], [f"{d}/Softmax_output_0"], f"{d}/Softmax", axis=1)
        bins = np.arange(REG_MAX, dtype=np.float32).reshape(1, REG_MAX, 1, 1)
        t = self.node("Conv", [t, self.init("model.22.dfl.conv.weight", bins)],
                      [f"{d}/conv/Conv_output_0"], f"{d}/conv/Conv", kernel_shape=[1, 1])
        dist = self.node("Reshape", [t, self.const(f"{d}/shape1", np.array([1, 4, n], np.int64))],
                         [f"{d}/Reshape_1_output_0"], f"{d}/Reshape_1")
        # dist2bbox (xywh) around the cell centres, in cells, then times the stride.
        lt, rb = f"{p}/Split_1_output_0", f"{p}/Split_1_output_1"
        self.node("Split", [dist, self.const(f"{p}/split_1", np.array([2, 2], np.int64))], [lt, rb],
                  f"{p}/Split_1", axis=1)
        anchor = self.init(f"{p}/anchors", np.concatenate(anchors, axis=1)[None].astype(np.float32))
        x1y1 = self.node("Sub", [anchor, lt], [f"{p}/Sub_output_0"], f"{p}/Sub")
        x2y2 = self.node("Add", [anchor, rb], [f"{p}/Add_output_0"], f"{p}/Add")
        c = self.node("Add", [x1y1, x2y2], [f"{p}/Add_1_output_0"], f"{p}/Add_1")
        c = self.node("Div", [c, self.const(f"{p}/two", np.array(2, np.float32))], [f"{p}/Div_output_0"],
                      f"{p}/Div")
        wh = self.node("Sub", [x2y2, x1y1], [f"{p}/Sub_1_output_0"], f"{p}/Sub_1")
        xywh = self.node("Concat", [c, wh], [f"{p}/Concat_4_output_0"], f"{p}/Concat_4", axis=1)
        stride = self.init(f"{p}/strides", np.concatenate(strides)[None].astype(np.float32))
        dbox = self.node("Mul", [xywh, stride], [f"{p}/Mul_output_0"], f"{p}/Mul")
        scores = self.node("Sigmoid", [cls], [f"{p}/Sigmoid_output_0"], f"{p}/Sigmoid")
        out = self.node("Concat", [dbox, scores], ["output0"], f"{p}/Concat_5", axis=1)
        self.shapes[out] = (4 + nc, n)
        return out


def head_output(branch, level):
    """The Ultralytics export's name of a head convolution's output."""
    return f"/model.22/{branch}.{level}/{branch}.{level}.2/Conv_output_0"


def build(size, seed, nc, fold_bn, export=False):
    if size % 32 != 0 or size < 64:
        raise SystemExit(f"build_yolov8n: --size must be a multiple of 32 and >= 64 (got {size})")
    b = Builder(seed, fold_bn)
    x = "images"
    b.shapes[x] = (3, size, size)
    b.vals[x] = calib_input(seed)

    # Backbone
    t = b.conv(x, 16, 3, 2, "model.0")
    t = b.conv(t, 32, 3, 2, "model.1")
    t = b.c2f(t, 32, 1, True, "model.2")
    t = b.conv(t, 64, 3, 2, "model.3")
    p3 = b.c2f(t, 64, 2, True, "model.4")
    t = b.conv(p3, 128, 3, 2, "model.5")
    p4 = b.c2f(t, 128, 2, True, "model.6")
    t = b.conv(p4, 256, 3, 2, "model.7")
    t = b.c2f(t, 256, 1, True, "model.8")
    p5 = b.sppf(t, 256, 5, "model.9")

    # Neck (PAN), C2f without shortcut
    t = b.upsample(p5, "model.10")
    t = b.concat([t, p4], "model.11")
    n4 = b.c2f(t, 128, 1, False, "model.12")
    t = b.upsample(n4, "model.13")
    t = b.concat([t, p3], "model.14")
    o3 = b.c2f(t, 64, 1, False, "model.15")
    t = b.conv(o3, 64, 3, 2, "model.16")
    t = b.concat([t, n4], "model.17")
    o4 = b.c2f(t, 128, 1, False, "model.18")
    t = b.conv(o4, 128, 3, 2, "model.19")
    t = b.concat([t, p5], "model.20")
    o5 = b.c2f(t, 256, 1, False, "model.21")

    # Detect head: per level a box and a class branch ending in a 1x1 conv.
    c2 = max(16, 64 // 4, REG_MAX * 4)   # 64
    c3 = max(64, min(nc, 100))           # 80
    outputs, heads = [], []
    for i, (feat, stride) in enumerate([(o3, 8), (o4, 16), (o5, 32)]):
        box = b.conv(feat, c2, 3, 1, f"model.22.cv2.{i}.0")
        box = b.conv(box, c2, 3, 1, f"model.22.cv2.{i}.1")
        box = b.conv2d(box, 4 * REG_MAX, 1, 1, f"model.22.cv2.{i}.2",
                       bias=np.ones(4 * REG_MAX), w_std=1 / math.sqrt(c2),
                       out_name=head_output("cv2", i))
        cls = b.conv(feat, c3, 3, 1, f"model.22.cv3.{i}.0")
        cls = b.conv(cls, c3, 3, 1, f"model.22.cv3.{i}.1")
        cls = b.conv2d(cls, nc, 1, 1, f"model.22.cv3.{i}.2", bias=np.full(nc, -4.0),
                       w_std=1 / math.sqrt(c3), out_name=head_output("cv3", i))
        outputs += [box, cls]
        heads.append((box, cls, stride))
    if export:
        outputs = [b.decode(heads, nc, size)]

    graph = helper.make_graph(
        b.nodes, "yolov8n",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, [1, *b.shapes[o]]) for o in outputs],
        initializer=b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="npusim models/build_yolov8n.py",
                              producer_version="1")
    model.ir_version = 7   # opset 13 era; readable by every ONNX Runtime / libonnx 1.12
    model.doc_string = (f"YOLOv8n, {size}x{size}, random weights (seed {seed}), "
                        f"{'BN folded' if fold_bn else 'Conv+BN+SiLU'}, "
                        f"{'with the decode (as exported)' if export else 'cut before the decode'}")
    return model, b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_out = os.path.join(os.environ.get("NPUSIM_CACHE") or
                               os.path.join(os.path.expanduser("~"), ".cache", "npusim"),
                               "models", "yolov8n.onnx")
    ap.add_argument("--size", type=int, default=640, help="input height = width (default 640)")
    ap.add_argument("--output", "-o", default=default_out, help=f"default {default_out}")
    ap.add_argument("--seed", type=int, default=0, help="numpy seed (default 0)")
    ap.add_argument("--classes", type=int, default=80, help="number of classes (default 80)")
    ap.add_argument("--fold-bn", action="store_true",
                    help="fold BatchNormalization into the conv weights/bias (as a fused export)")
    ap.add_argument("--export", action="store_true",
                    help="keep the Detect decode after the head (output0), as an Ultralytics "
                         "export has it; the Warboy tutorial then cuts it at the six head "
                         "convolutions")
    args = ap.parse_args()

    model, b = build(args.size, args.seed, args.classes, args.fold_bn, args.export)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    for vi in inferred.graph.output:   # inferred output shapes must match the declared ones
        dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        assert dims == [1, *b.shapes[vi.name]], (vi.name, dims)

    out = os.path.abspath(args.output)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = f"{out}.tmp.{os.getpid()}"
    try:
        onnx.save(model, tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)

    ops = {}
    for nd in model.graph.node:
        ops[nd.op_type] = ops.get(nd.op_type, 0) + 1
    print(f"build_yolov8n: wrote {args.output} ({os.path.getsize(out)} bytes)")
    print(f"  input   images [1, 3, {args.size}, {args.size}] float32, opset {OPSET}")
    for o in model.graph.output:
        print(f"  output  {o.name} {[1, *b.shapes[o.name]]}")
    print(f"  params  {b.params_fused:,} (conv weights + biases with BN folded; "
          f"{b.init_elems:,} initializer elements)")
    print(f"  MACs    {b.macs:,} ({b.macs / 1e9:.3f} G, {2 * b.macs / 1e9:.2f} GFLOPs)")
    print(f"  nodes   {len(model.graph.node)}: " +
          ", ".join(f"{k} {v}" for k, v in sorted(ops.items())))


if __name__ == "__main__":
    sys.exit(main())
