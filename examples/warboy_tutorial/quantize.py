#!/usr/bin/python3
"""Step 1 of the Warboy tutorial: quantise YOLOv8n to int8 with a progress bar
over the calibration images, convert its input to uint8 (the camera's bytes
go to the NPU as they are), save the QDQ model and print the accuracy report.

    examples/warboy_tutorial/quantize.py [--size 640] [--calib-count 10]
"""
import os
import sys

import numpy as np
from tqdm import tqdm

import common
import npusim
from npusim.quantizer import (CalibrationMethod, Calibrator, ModelEditor, TensorType,
                              evaluate_accuracy, optimize_model, quantize)


def calibration_images(shape, count):
    """The sample photos letterboxed into [0, 1] (pixel / 255), then their mirror
    images, up to `count`."""
    base = [npusim.vision.load_image(p, shape, letterbox=True, pad_value=114)
            for p in common.photos()]
    images = base + [x[..., ::-1].copy() for x in base]
    return [images[i % len(images)] for i in range(count)]


def quantize_model(args):
    fp32 = common.ensure_fp32(args)
    model = optimize_model(fp32)
    name, shape, _ = model.inputs[0]
    calibrator = Calibrator(model, CalibrationMethod.MIN_MAX_ASYM)
    images = calibration_images(shape, args.calib_count)
    for x in tqdm(images, desc="calibration", unit="image", file=sys.stderr):
        calibrator.collect_data([[x]])
    ranges = calibrator.compute_range()
    # The input's range is the preprocessing's, pixel / 255 in [0, 1]: so the
    # uint8 codes of the converted input are exactly the image's bytes.
    ranges[name] = (0.0, 1.0)
    ModelEditor(model).convert_input_type(name, TensorType.UINT8)
    quantized = quantize(model, ranges)
    out = common.model_file(args, "int8")
    quantized.save(out)
    scale, zero_point = quantized.input_quantization[name]
    print(f"quantised  {fp32} -> {out} ({os.path.getsize(out)} bytes), "
          f"min-max over {calibrator.samples} image(s)")
    print(f"input      {name} takes uint8: real = {scale:.6g} * (q - {zero_point})")
    report = evaluate_accuracy(model, quantized, images[:2])
    print(f"accuracy   on {report['samples']} image(s), QDQ vs FP32 (reference executor):")
    for o in report["outputs"]:
        print(f"  {o['name']:<8} SQNR {o['sqnr_db']:6.1f} dB  cosine {o['cosine']:.5f}")
    worst = report["layers"][:3]
    print("  least accurate activations: " +
          ", ".join(f"{l['tensor']} {l['sqnr_db']:.1f} dB" for l in worst))
    return out


def main():
    args = common.parser(__doc__.splitlines()[0], runners=False).parse_args()
    quantize_model(args)


if __name__ == "__main__":
    main()
