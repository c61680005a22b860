"""npusim.vision: host work around the NPU, on the same C++ as the command
line (docs/vision.md): YOLOv8 and BlazeFace decode with NMS, images as model
inputs, drawing detections.

Boxes are float32 arrays [N, 6]: x0, y0, x1, y1 (normalised to the image),
score, class.
"""
import os

import numpy as np

from . import _npusim

__all__ = ["decode_blazeface", "decode_yolov8", "draw_boxes", "load_image", "nms", "read_image",
           "write_png"]


def _named(outputs):
    if isinstance(outputs, dict):
        return outputs
    named = getattr(outputs, "named", None)
    if named is None:
        raise TypeError("outputs must be a dict {name: array} or a runner's Outputs")
    return named()


def decode_yolov8(outputs, *, score_threshold=0.25, iou_threshold=0.45, max_boxes=300):
    """YOLOv8 cut before its decode (six head tensors, as the Warboy tutorial
    and models/build_yolov8n.py give them): DFL box decode, best class per
    cell, class-aware NMS. Boxes [N, 6], best first."""
    return _npusim.decode_yolov8(_named(outputs), score_threshold, iou_threshold, max_boxes)


def decode_blazeface(outputs, *, score_threshold=0.5, iou_threshold=0.3, max_faces=None):
    """MediaPipe BlazeFace front: faces [N, 6] (class 0) and key points [N, 6, 2]."""
    limit = max_faces if max_faces is not None else 2**63 - 1
    return _npusim.decode_blazeface(_named(outputs), score_threshold, iou_threshold, limit)


def nms(boxes, iou_threshold, *, class_aware=False, weighted=False, max_out=None):
    """Non-maximum suppression of boxes [N, 5] or [N, 6]: hard (torchvision's
    rule), per class, or MediaPipe's weighted merge. The kept boxes, best first."""
    limit = max_out if max_out is not None else 2**63 - 1
    return _npusim.nms(np.asarray(boxes, dtype=np.float32), iou_threshold, class_aware, weighted,
                       limit)


def load_image(path, input, *, scale=1 / 255, mean=0.0, std=1.0, letterbox=False, pad_value=0.0,
               bgr=False, layout=None):
    """An image file as a model input: decoded, stretched (or letterboxed) to
    the input's size, laid out as the input (NCHW or NHWC), batch 1.

    input: the model's TensorDesc (runner.model.input(0)), or a shape for a
    float32 array (layout "nchw"/"nhwc" when the shape leaves it open). A
    float input gets (pixel * scale - mean) / std per channel. A uint8 input
    (ModelEditor.convert_input_type, `npusim quantize --input-type`) gets the
    raw pixels and an int8 input the pixels - 128, as `npusim run -i IMAGE`
    feeds them (runtime::image_input): the quantiser folded the
    preprocessing into the input's scale and zero point."""
    means = [float(v) for v in np.atleast_1d(mean)]
    stds = [float(v) for v in np.atleast_1d(std)]
    if isinstance(input, _npusim.TensorDesc):
        return _npusim.image_input(input, os.fspath(path), float(scale), means, stds,
                                   bool(letterbox), float(pad_value), bool(bgr))
    return _npusim.load_image(os.fspath(path), [int(d) for d in input], float(scale), means, stds,
                              bool(letterbox), float(pad_value), bool(bgr), (layout or "").upper())


def read_image(path):
    """An image file as a uint8 array [height, width, 3] (RGB)."""
    return _npusim.read_image(os.fspath(path))


def write_png(image, path):
    _npusim.write_png(np.asarray(image, dtype=np.uint8), os.fspath(path))


def draw_boxes(image, boxes, *, colour=(0, 255, 0), thickness=2):
    """A copy of `image` ([H, W, 3] uint8) with `boxes` (normalised) drawn."""
    return _npusim.draw_boxes(np.asarray(image, dtype=np.uint8),
                              np.asarray(boxes, dtype=np.float32), list(colour), thickness)
