"""npusim.runtime: run models on the simulated NPU (docs/python.md).

    from npusim.runtime import create_runner, create_queue

    with create_runner("yolov8n.int8.onnx", device="npu0pe0") as runner:   # sync
        outputs = runner.run(x)
        outputs.timing.latency_us, outputs.counters

    async with create_runner(model, worker_num=8) as runner:               # asyncio
        outputs = await runner.run(x)

    task = runner.run_async(x); outputs = task.wait()                      # RBLN style

    async with create_queue(model, worker_num=8) as (submitter, receiver):
        await submitter.submit(x, context=i)
        context, outputs = await receiver.recv()

Models: a path (.onnx int8 QDQ, compiled through the compile cache, or
.npub), ONNX or .npub bytes, a Model, or what npusim.quantizer.quantize and
npusim.compiler.compile return. Inputs: one array (single-input models), a
list in the model's input order, or a dict by input name. Outputs: a list of
NumPy arrays in the model's output order (no copy) with .timing (simulated)
and .counters (the PEs' counters over a sync run).
"""
import asyncio
import atexit
import os
import weakref

import numpy as np

from . import _npusim
from ._asyncio import LoopBridge
from ._npusim import (HostCostModel, InputTypeError, InvalidInputError, Model, PeCounters,
                      SessionStats, TensorDesc, Timing)

__all__ = [
    "AsyncioRunner", "HostCostModel", "HostStage", "Model", "Outputs", "PeCounters", "Queue",
    "Runner", "SessionStats", "Task", "TensorDesc", "Timing", "create_queue", "create_runner",
    "load_model",
]

_NPUB_MAGIC = b"NPUB"


class HostStage:
    """Application work done for every request on a host lane of the
    simulated timeline: preprocessing before the model, or e.g. box decode
    and NMS after it.

    fn(arrays) gets the request's tensors as NumPy arrays (the inputs for
    preprocess, the outputs for postprocess) and returns the new ones (an
    array or a list; None keeps the arrays it was given, changed in place).
    It runs on the runtime's thread. Without fn the stage only occupies a
    host lane for cost_ms (work your program does outside the runtime, such
    as reading frames, placed on the timeline). cost_ms=None (with fn) uses
    the measured wall time, which makes the timeline vary between runs.

    The timeline knows only what the runtime does: Python code between run()
    calls takes no simulated time unless it is a stage.
    """

    def __init__(self, fn=None, *, cost_ms=None, name=None):
        if fn is None and cost_ms is None:
            raise ValueError("a HostStage needs a function, a cost_ms, or both")
        if cost_ms is not None and cost_ms < 0:
            raise ValueError(f"cost_ms must be >= 0, got {cost_ms}")
        self.fn = fn
        self.cost_ms = cost_ms
        self.name = name or getattr(fn, "__name__", None) or "stage"

    def _spec(self):
        cost_ns = -1.0 if self.cost_ms is None else float(self.cost_ms) * 1e6
        return (self.name, self.fn, cost_ns)


class Outputs(list):
    """A request's outputs: NumPy arrays in the model's output order.

    timing:   where its time went on the simulated timeline (Timing)
    counters: each PE's counters over the request (sync run() only, else None)
    named():  {output name: array}
    """

    def __init__(self, arrays, timing, names, counters=None):
        super().__init__(arrays)
        self.timing = timing
        self.counters = counters
        self.names = list(names)

    def named(self):
        return dict(zip(self.names, self))


def _is_fused(device):
    return _npusim.device_is_fused(device or "")


def load_model(path, *, hw=None, target=None, device=None, input_shapes=None, outputs=None,
               cache_dir=None, batch=None):
    """Loads a .npub (checked against hw) or compiles an ONNX QDQ model through
    the compile cache. target "single" or "fused" (default: fused when device
    is a fused pair such as npu0pe0-1); input_shapes {name: shape} for
    dynamic dims; outputs cut the graph at these tensors; cache_dir "none"
    compiles every time. batch: images per request (ONNX: compiled for it;
    a .npub must have been; None: one image, or the .npub's own)."""
    from . import hw as hw_module
    if target is None:
        target = "fused" if _is_fused(device) else "single"
    shapes = {k: list(v) for k, v in (input_shapes or {}).items()}
    return _npusim.load_model(os.fspath(path), hw or hw_module.default(), target, shapes,
                              list(outputs or []), cache_dir or "", int(batch or 0))


def _as_model(model, hw, device, input_shapes, outputs):
    """Any accepted model form as a Model."""
    from . import compiler, quantizer
    from . import hw as hw_module
    if isinstance(model, Model):
        return model
    if isinstance(model, compiler.CompiledModel):
        return model.model()
    target = "fused" if _is_fused(device) else "single"
    if isinstance(model, quantizer.QuantizedModel):
        return compiler.compile(model, target=target, hw=hw, outputs=outputs).model()
    if isinstance(model, (bytes, bytearray)):
        if bytes(model[:4]) == _NPUB_MAGIC:
            return _npusim.model_from_program_bytes(bytes(model), "<npub bytes>",
                                                    hw or hw_module.default())
        return compiler.compile(bytes(model), target=target, hw=hw, outputs=outputs).model()
    return load_model(model, hw=hw, device=device, input_shapes=input_shapes, outputs=outputs)


def _input_arrays(model, inputs, check_dtypes=True):
    """inputs (an array, a list, or a dict by name) as a list in the model's
    input order, with each dtype checked (InputTypeError names the input)."""
    descs = model.inputs()
    if isinstance(inputs, dict):
        names = [d.name for d in descs]
        for key in inputs:
            if key not in names:
                raise InvalidInputError(
                    f'{model.origin} has no input named "{key}" (inputs: {", ".join(names)})')
        missing = [n for n in names if n not in inputs]
        if missing:
            raise InvalidInputError(f'input "{missing[0]}" is missing')
        arrays = [inputs[n] for n in names]
    elif isinstance(inputs, (list, tuple)):
        arrays = list(inputs)
    else:
        arrays = [inputs]
    arrays = [a if isinstance(a, np.ndarray) else np.asarray(a) for a in arrays]
    if check_dtypes:
        for array, desc in zip(arrays, descs):
            if array.dtype != desc.dtype:
                raise InputTypeError(f'input "{desc.name}" must be {desc.dtype}, got {array.dtype}'
                                     f" (convert it with .astype(np.{desc.dtype}))")
    return arrays


_live = weakref.WeakSet()  # runners and queues to close before the interpreter goes


@atexit.register
def _close_all():
    for owner in list(_live):
        owner.close()


def _config(device, worker_num, timing_only, host, preprocess, postprocess, timeout,
            device_trace, input_queue_size=None):
    if worker_num < 1:
        raise ValueError(f"worker_num must be at least 1, got {worker_num}")
    for stage, what in ((preprocess, "preprocess"), (postprocess, "postprocess")):
        if stage is not None and not isinstance(stage, HostStage):
            raise TypeError(f"{what} must be a npusim.runtime.HostStage")
    return {
        "devices": device or "",
        "worker_num": int(worker_num),
        "timing_only": bool(timing_only),
        "host": host,
        "preprocess": preprocess._spec() if preprocess else None,
        "postprocess": postprocess._spec() if postprocess else None,
        "timeout": float(timeout),
        "device_trace": bool(device_trace),
        "input_queue_size": input_queue_size,
    }


class Task:
    """A pending result of run_async(): wait(timeout=None) returns the Outputs
    (or raises the request's error); done() says whether it is there."""

    def __init__(self, future, names):
        self._future = future
        self._names = names

    def done(self):
        return self._future.ready()

    def wait(self, timeout=None):
        arrays, timing = self._future.wait(timeout)
        return Outputs(arrays, timing, self._names)


class Runner:
    """A model opened on the simulated device (create_runner makes one)."""

    def __init__(self, model, *, device=None, worker_num=1, hw=None, timing_only=False, host=None,
                 preprocess=None, postprocess=None, timeout=60.0, device_trace=False,
                 input_shapes=None, outputs=None):
        self._model = _as_model(model, hw, device, input_shapes, outputs)
        self._checked = preprocess is None  # a preprocess stage may take other inputs
        self.worker_num = worker_num
        self._core = _npusim.RunnerCore(
            self._model, _config(device, worker_num, timing_only, host, preprocess, postprocess,
                                 timeout, device_trace))
        self._names = [d.name for d in self._model.outputs()]
        if postprocess is not None:
            self._names = []  # the stage decides what comes out
        _live.add(self)

    @property
    def model(self):
        return self._model

    def _arrays(self, inputs):
        return _input_arrays(self._model, inputs, self._checked)

    def run(self, inputs):
        """Runs one request and waits for it: Outputs with .timing and .counters."""
        arrays, timing, counters = self._core.run(self._arrays(inputs))
        return Outputs(arrays, timing, self._names, counters)

    def run_with(self, output_names, inputs):
        """Named inputs ({name: array}); the outputs asked for, in that order."""
        result = self.run(inputs)
        named = result.named()
        for name in output_names:
            if name not in named:
                raise InvalidInputError(f'{self._model.origin} has no output named "{name}"')
        return Outputs([named[n] for n in output_names], result.timing, output_names,
                       result.counters)

    def run_async(self, inputs):
        """Submits one request; returns a Task (task.wait() gives the Outputs)."""
        return Task(self._core.submit(self._arrays(inputs)), self._names)

    def wait_all(self):
        """Waits until every request submitted so far has finished."""
        self._core.wait_all()

    def stats(self):
        """SessionStats: every request's timing, the timeline, the PEs' counters."""
        return self._core.stats()

    def close(self):
        """Finishes the requests in flight and releases the device's PEs;
        stats() stays available."""
        self._core.close()
        _live.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    async def __aenter__(self):
        return AsyncioRunner(self)

    async def __aexit__(self, *exc):
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    def __repr__(self):
        return f"<npusim Runner {self._model.origin}, worker_num={self.worker_num}>"


class AsyncioRunner:
    """The asyncio face of a Runner (what `async with create_runner(...)` gives):
    await run(x); worker_num requests in flight, results as they finish."""

    def __init__(self, runner):
        self._runner = runner
        self._bridge = LoopBridge(runner._core, asyncio.get_running_loop())

    @property
    def model(self):
        return self._runner.model

    async def run(self, inputs):
        runner = self._runner
        names = runner._names
        return await self._bridge.submit(
            runner._arrays(inputs), lambda arrays, timing: Outputs(arrays, timing, names))

    async def run_with(self, output_names, inputs):
        result = await self.run(inputs)
        named = result.named()
        return Outputs([named[n] for n in output_names], result.timing, output_names)

    def stats(self):
        return self._runner.stats()

    async def close(self):
        await asyncio.get_running_loop().run_in_executor(None, self._runner.close)


def create_runner(model, device=None, worker_num=1, **options):
    """Opens `model` on the simulated device; a Runner to use with `with`
    (sync run) or `async with` (asyncio run).

    device: npu0pe0 (default: $NPUSIM_DEVICES, else npu0pe0, or npu0pe0-1 for
    a fused program), npu0pe1, the fused pair npu0pe0-1, or a comma list.
    worker_num: requests in flight at once.
    Options: hw (npusim.hw.HwParams; default the warboy preset),
    timing_only (skip the arithmetic, same simulated time), host
    (HostCostModel), preprocess / postprocess (HostStage), timeout (seconds,
    wall clock, of every wait), device_trace (per-layer events in stats()),
    input_shapes and outputs (ONNX models compiled on the fly).
    """
    return Runner(model, device=device, worker_num=worker_num, **options)


class Submitter:
    """Sync queue side: submit(inputs, context) blocks while the input queue is full."""

    def __init__(self, queue):
        self._queue = queue

    def submit(self, inputs, context=None):
        q = self._queue
        number = q._next_context
        q._next_context += 1
        q._contexts[number] = context
        try:
            q._core.submit(_input_arrays(q._model, inputs), number)
        except BaseException:
            del q._contexts[number]
            raise

    def close(self):
        """No more requests: recv() returns None once every result is taken."""
        self._queue._core.close()


class Receiver:
    """Sync queue side: recv(timeout=None) -> (context, Outputs) as requests finish
    (possibly out of order); None once the submitter closed and all are taken.
    A failed request raises its error with .context set."""

    def __init__(self, queue):
        self._queue = queue

    def recv(self, timeout=None):
        q = self._queue
        try:
            item = q._core.recv(timeout)
        except _npusim.NpusimError as e:
            number = getattr(e, "context_id", None)
            if number is not None:
                e.context = q._contexts.pop(number, None)
            raise
        if item is None:
            return None
        number, arrays, timing = item
        return q._contexts.pop(number), Outputs(arrays, timing, q._names)

    def __iter__(self):
        while (item := self.recv()) is not None:
            yield item

    def stats(self):
        return self._queue._core.stats()


class AsyncSubmitter:
    """asyncio queue side: await submit(inputs, context) (waits while the input queue is full)."""

    def __init__(self, queue):
        self._queue = queue

    async def submit(self, inputs, context=None):
        q = self._queue
        if q._closed:
            raise _npusim.ClosedError("the queue's submitter is closed")
        arrays = _input_arrays(q._model, inputs)
        while q._bridge.unfinished >= q._limit:
            q._room.clear()
            await q._room.wait()
        names = q._names
        future = q._bridge.submit(arrays, lambda a, t: Outputs(a, t, names))
        q._submitted += 1
        future.add_done_callback(lambda f: q._results.put_nowait((context, f)))

    def close(self):
        q = self._queue
        q._closed = True
        q._results.put_nowait(None)  # wakes a recv() waiting with nothing left


class AsyncReceiver:
    """asyncio queue side: await recv() -> (context, Outputs) in finishing order,
    or None once the submitter closed and every result was taken; also
    `async for context, outputs in receiver`."""

    def __init__(self, queue):
        self._queue = queue

    async def recv(self):
        q = self._queue
        while True:
            if q._closed and q._received == q._submitted:
                return None
            item = await q._results.get()
            if item is not None:
                break
        context, future = item
        q._received += 1
        error = future.exception()
        if error is not None:
            error.context = context
            raise error
        return context, future.result()

    def __aiter__(self):
        return self

    async def __anext__(self):
        item = await self.recv()
        if item is None:
            raise StopAsyncIteration
        return item

    def stats(self):
        return self._queue._core.stats()


class Queue:
    """create_queue's result: `with` gives a sync (Submitter, Receiver), `async
    with` an asyncio (AsyncSubmitter, AsyncReceiver); unpacking it directly
    gives the sync pair."""

    def __init__(self, model, *, device=None, worker_num=8, input_queue_size=16, hw=None,
                 timing_only=False, host=None, preprocess=None, postprocess=None, timeout=60.0,
                 input_shapes=None, outputs=None):
        if input_queue_size < 1:
            raise ValueError(f"input_queue_size must be at least 1, got {input_queue_size}")
        self._model = _as_model(model, hw, device, input_shapes, outputs)
        self._config = _config(device, worker_num, timing_only, host, preprocess, postprocess,
                               timeout, False, input_queue_size)
        self._names = [] if postprocess is not None else [d.name for d in self._model.outputs()]
        self._limit = worker_num + input_queue_size
        self._core = None
        _live.add(self)

    @property
    def model(self):
        return self._model

    def _open_sync(self):
        self._core = _npusim.QueueCore(self._model, self._config)
        self._contexts = {}
        self._next_context = 0
        return Submitter(self), Receiver(self)

    def __iter__(self):
        return iter(self._open_sync())

    def __enter__(self):
        return self._open_sync()

    def __exit__(self, *exc):
        self.close()

    async def __aenter__(self):
        self._core = _npusim.RunnerCore(self._model, self._config)
        self._bridge = LoopBridge(self._core, asyncio.get_running_loop())
        self._results = asyncio.Queue()
        self._room = asyncio.Event()
        self._bridge.add_delivery_listener(self._room.set)
        self._closed = False
        self._submitted = self._received = 0
        return AsyncSubmitter(self), AsyncReceiver(self)

    async def __aexit__(self, *exc):
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    def close(self):
        """Finishes what is in flight and releases the device's PEs."""
        if isinstance(self._core, _npusim.QueueCore):
            self._core.release()
        elif self._core is not None:
            self._core.close()
        _live.discard(self)


def create_queue(model, device=None, worker_num=8, input_queue_size=16, **options):
    """A submitter and a receiver sharing one session: submit(inputs, context)
    and recv() -> (context, outputs) as requests finish. Use with `async with`
    (asyncio: await submit / await recv) or `with` (blocking). Options as for
    create_runner."""
    return Queue(model, device=device, worker_num=worker_num, input_queue_size=input_queue_size,
                 **options)
