"""npusim.quantizer: post-training int8 quantisation of FP32 ONNX models into
QDQ form, in the furiosa-sdk shape (docs/quantizer.md has the scheme):

    model = optimize_model("yolov8n.onnx")
    calibrator = Calibrator(model, CalibrationMethod.MIN_MAX_ASYM)
    for x in tqdm(images):
        calibrator.collect_data([[x]])          # samples: lists of input arrays (or dicts)
    ranges = calibrator.compute_range()
    ModelEditor(model).convert_input_type("images", TensorType.UINT8)
    quantized = quantize(model, ranges)
    quantized.save("yolov8n.int8.onnx")        # or bytes(quantized)
    evaluate_accuracy(model, quantized, eval_samples)   # the report as a dict
"""
import enum
import os

from . import _npusim

__all__ = [
    "CalibrationMethod", "Calibrator", "FloatModel", "ModelEditor", "QuantizedModel", "Ranges",
    "TensorType", "evaluate_accuracy", "get_pure_input_names", "optimize_model", "quantize",
]


class CalibrationMethod(enum.Enum):
    """How a clipping range is chosen from an activation's histogram
    (docs/quantizer.md); _ASYM ranges [lo, hi], _SYM ranges [-t, t]."""
    MIN_MAX_ASYM = "minmax-asym"
    MIN_MAX_SYM = "minmax-sym"
    PERCENTILE_ASYM = "percentile-asym"
    PERCENTILE_SYM = "percentile-sym"
    ENTROPY_ASYM = "entropy-asym"
    ENTROPY_SYM = "entropy-sym"
    MSE_ASYM = "mse-asym"
    MSE_SYM = "mse-sym"
    SQNR_ASYM = "sqnr-asym"
    SQNR_SYM = "sqnr-sym"


class TensorType(enum.Enum):
    UINT8 = "uint8"
    INT8 = "int8"


class FloatModel:
    """An FP32 ONNX model readied for quantisation (optimize_model): shapes
    fixed, constants folded, opset >= 13, BatchNorm and affine ops folded
    into convolutions. Input-type edits (ModelEditor) are kept here."""

    def __init__(self, core):
        self._core = core
        self.input_types = {}

    inputs = property(lambda self: self._core.inputs, doc="[(name, shape, dtype)]")
    outputs = property(lambda self: self._core.outputs)
    notes = property(lambda self: self._core.notes, doc="what preparing it did")

    def __bytes__(self):
        return self._core.onnx_bytes()

    def __repr__(self):
        return f"<npusim FloatModel {self._core.origin}: {self._core.node_count} nodes>"


def optimize_model(model, input_shapes=None, *, fold_affine=True):
    """A path or ONNX bytes as a FloatModel (a FloatModel is returned as is).
    input_shapes {name: shape} fixes dynamic dims."""
    if isinstance(model, FloatModel):
        return model
    shapes = {k: list(v) for k, v in (input_shapes or {}).items()}
    source = bytes(model) if isinstance(model, (bytes, bytearray)) else os.fspath(model)
    return FloatModel(_npusim.prepare_model(source, shapes, fold_affine))


def get_pure_input_names(model):
    """The model's input names (all of them take float data before editing)."""
    return [name for name, _, _ in optimize_model(model).inputs]


class ModelEditor:
    """Edits applied when the model is quantised."""

    def __init__(self, model):
        if not isinstance(model, FloatModel):
            raise TypeError("ModelEditor takes the FloatModel from optimize_model()")
        self._model = model

    def convert_input_type(self, name, tensor_type):
        """The input takes integer codes (TensorType.UINT8: image bytes as
        they come) instead of float: no quantize step on the host."""
        names = [n for n, _, _ in self._model.inputs]
        if name not in names:
            raise ValueError(f'the model has no input named "{name}" (inputs: {", ".join(names)})')
        self._model.input_types[name] = TensorType(tensor_type).value


class Ranges(dict):
    """compute_range's result: {tensor: (lo, hi)}, with the method and the
    channel means bias correction uses."""

    def __init__(self, ranges, method, channel_means, samples):
        super().__init__(ranges)
        self.method = method
        self.channel_means = channel_means
        self.samples = samples


def _method_name(method):
    if isinstance(method, CalibrationMethod):
        return method.value
    return str(method)


class Calibrator:
    """Collects activation statistics by running the FP32 model on
    calibration data, then computes clipping ranges.

    method: a CalibrationMethod or its name ("minmax", "percentile-sym", ...);
    percentage: what PERCENTILE keeps, in percent."""

    def __init__(self, model, method=CalibrationMethod.PERCENTILE_ASYM, *, percentage=99.99):
        self.model = optimize_model(model)
        self.method = _method_name(method)
        self.percentage = float(percentage)
        if self.method not in _npusim.range_method_names() and \
                f"{self.method}-asym" not in _npusim.range_method_names():
            raise ValueError(f'unknown calibration method "{self.method}" '
                             f"(known: {', '.join(_npusim.range_method_names())})")
        self._core = _npusim.CalibratorCore(self.model._core)

    def collect_data(self, data):
        """data: samples, each a list of arrays in the model's input order or
        a dict by input name (one array or dict alone is one sample)."""
        import numpy as np
        if isinstance(data, (np.ndarray, dict)):
            data = [data]
        self._core.collect(data)

    @property
    def samples(self):
        return self._core.samples

    def compute_range(self):
        ranges, means = self._core.ranges(self.method, self.percentage)
        return Ranges(ranges, self.method, means, self.samples)


class QuantizedModel:
    """An int8 QDQ model: save(path), bytes(model), its inputs (integer inputs
    with their scale and zero point) and every activation's quantisation."""

    def __init__(self, core, source):
        self._core = core
        self.source = source

    def save(self, path):
        with open(os.fspath(path) + ".tmp", "wb") as f:
            f.write(bytes(self))
        os.replace(os.fspath(path) + ".tmp", os.fspath(path))

    def __bytes__(self):
        return self._core.onnx_bytes()

    inputs = property(lambda self: self._core.inputs, doc="[(name, shape, dtype)]")
    outputs = property(lambda self: self._core.outputs)
    input_quantization = property(lambda self: self._core.integer_inputs,
                                  doc="{input: (scale, zero_point)} of integer inputs")
    activations = property(lambda self: self._core.activations)
    notes = property(lambda self: self._core.notes)

    def __repr__(self):
        return f"<npusim QuantizedModel of {self.source._core.origin}>"


def quantize(model, ranges, *, input_types=None, bias_correction=True):
    """The QDQ model of `model` (a FloatModel, path or bytes) with `ranges`
    (compute_range's, or {tensor: (lo, hi)}). input_types {name: "uint8"}
    adds to ModelEditor's edits; bias correction uses the channel means the
    calibrator recorded."""
    model = optimize_model(model)
    method = getattr(ranges, "method", "minmax-asym")
    symmetric = method.endswith("-sym")
    means = getattr(ranges, "channel_means", {}) if bias_correction else {}
    types = dict(model.input_types)
    types.update({k: TensorType(v).value for k, v in (input_types or {}).items()})
    plain = {k: (float(lo), float(hi)) for k, (lo, hi) in ranges.items()}
    return QuantizedModel(_npusim.quantize(model._core, plain, symmetric, means, types), model)


def evaluate_accuracy(model, quantized, data, *, split=False, per_layer=True):
    """The QDQ model against FP32 on `data` (samples as for collect_data),
    both on the reference executor: {"samples", "outputs": [{"name",
    "sqnr_db", "cosine", "max_abs_error", "top1_agreement", ...}], "layers":
    [{"tensor", "sqnr_db", "local_db", "clipped"}] (worst first)}. split adds
    weights-only and activations-only SQNR per output."""
    import numpy as np
    model = optimize_model(model)
    if isinstance(data, (np.ndarray, dict)):
        data = [data]
    return _npusim.evaluate_accuracy(model._core, quantized._core, list(data), split, per_layer)
