"""npusim.runtime: the runners, the asyncio variant, tasks and queues on the
simulated NPU; outputs equal the command line's bit for bit; errors; the
GIL released while the simulator runs; a reproducible asyncio timeline."""
import asyncio
import random
import threading
import time
import unittest

import numpy as np

import npusim
from common import TempDir, calibration_samples, npusim as cli, small_cnn_bytes
from npusim.runtime import HostStage, create_queue, create_runner, load_model


class RuntimeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        fp32 = cls.tmp("small.onnx")
        with open(fp32, "wb") as f:
            f.write(small_cnn_bytes())
        np.save(cls.tmp("calib.npy"), np.concatenate(calibration_samples(4)))
        cls.int8 = cls.tmp("small.int8.onnx")
        cli("quantize", fp32, "-o", cls.int8, "--calib", cls.tmp("calib.npy"), "--quiet")
        cls.npub = cls.tmp("small.npub")
        cli("compile", cls.int8, "-o", cls.npub)
        cls.inputs = calibration_samples(6, seed=9)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    _cli_runs = {}

    def cli_run(self, x):
        """`npusim run` on x (once per distinct input: each run is a process):
        (its output array, its report)."""
        key = x.tobytes()
        if key not in self._cli_runs:
            np.save(self.tmp("in.npy"), x)
            report = cli("run", self.npub, "-i", self.tmp("in.npy"), "-o", self.tmp("out.npy"))
            self._cli_runs[key] = (np.load(self.tmp("out.npy")), report)
        return self._cli_runs[key]

    def cli_output(self, x):
        return self.cli_run(x)[0]

    def test_model_metadata(self):
        model = load_model(self.npub)
        self.assertEqual((model.input_num, model.output_num), (1, 1))
        x, = model.inputs()
        self.assertEqual((x.name, x.shape, x.dtype, x.layout), ("x", (1, 3, 16, 16),
                                                              np.dtype(np.float32), "NCHW"))
        self.assertIsNone(x.quantization)
        self.assertEqual((x.size, x.length), (768, 3072))
        y = model.output(0)
        self.assertEqual((y.name, y.shape), ("y", (1, 4, 8, 8)))
        self.assertEqual(model.target, "single")
        self.assertEqual(model.hw, npusim.hw.default())
        self.assertIn("NPU", model.segments)

    def test_sync_run_equals_the_command_line(self):
        with create_runner(self.npub, device="npu0pe1") as runner:
            for x in self.inputs[:2]:
                outputs = runner.run(x)
                want, report = self.cli_run(x)
                np.testing.assert_array_equal(outputs[0], want)
                # The same simulated time as the command line's report (0.1 us there).
                for line, ps in (("latency", outputs.timing.latency_ps),
                                 ("host", outputs.timing.host_ps),
                                 ("compute", outputs.timing.compute_ps)):
                    self.assertRegex(report, rf"(?m)^ *{line} +{ps / 1e6:.1f} us")
                self.assertEqual(outputs.names, ["y"])
                t = outputs.timing
                self.assertEqual(t.device, "npu0pe1")
                # Sync: the request is host work then the device phase.
                self.assertEqual(t.latency_ps, t.host_ps + t.device_ps)
                self.assertGreater(t.compute_ps, 0)
                (pe,) = outputs.counters
                self.assertEqual(pe.pe, "npu0pe1")
                self.assertGreater(pe.task_cycles, 0)
                self.assertLessEqual(pe.tensor_cycles, pe.task_cycles)
            stats = runner.stats()
            self.assertEqual(stats.requests, 2)
            self.assertEqual(stats.span_ps, sum(t.latency_ps for t in stats.timings))

    def test_inputs_by_list_dict_and_any_strides(self):
        x = self.inputs[0]
        with create_runner(self.int8) as runner:  # ONNX, compiled through the cache
            want = runner.run(x)[0]
            np.testing.assert_array_equal(runner.run([x])[0], want)
            np.testing.assert_array_equal(runner.run({"x": x})[0], want)
            transposed = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
            self.assertFalse(transposed.flags.c_contiguous)
            np.testing.assert_array_equal(runner.run(transposed)[0], want)
            out = runner.run_with(["y"], {"x": x})
            np.testing.assert_array_equal(out[0], want)
            # The output array owns the runtime's buffer: no copy was made.
            self.assertFalse(want.flags.owndata)
            self.assertIsNotNone(want.base)

    def test_bad_inputs_name_the_tensor(self):
        with create_runner(self.npub) as runner:
            with self.assertRaises(TypeError) as e:
                runner.run(self.inputs[0].astype(np.float64))
            self.assertIsInstance(e.exception, npusim.InvalidInputError)
            self.assertEqual(str(e.exception), 'input "x" must be float32, got float64 '
                             '(convert it with .astype(np.float32))')
            with self.assertRaises(ValueError) as e:
                runner.run(np.zeros((1, 3, 8, 8), np.float32))
            self.assertEqual(str(e.exception),
                             'input "x" must be float32 1x3x16x16, got float32 1x3x8x8')
            with self.assertRaisesRegex(npusim.InvalidInputError, 'has no input named "images"'):
                runner.run({"images": self.inputs[0]})
            with self.assertRaisesRegex(npusim.InvalidInputError, "takes 1 input\\(s\\), got 2"):
                runner.run([self.inputs[0], self.inputs[1]])

    def test_device_errors(self):
        with create_runner(self.npub, device="npu0pe0"):
            with self.assertRaises(npusim.DeviceBusyError) as e:
                create_runner(self.npub, device="npu0pe0")
            self.assertIn("npu0pe0 is busy", str(e.exception))
            other = npusim.hw.preset("warboy", sram_per_pe="8MiB")
            with self.assertRaises(npusim.DeviceBusyError) as e:
                create_runner(self.int8, device="npu0pe1", hw=other)
            self.assertIn("sram_per_pe 16MiB (open) vs 8MiB", str(e.exception))
        with create_runner(self.int8, device="npu0pe1",
                           hw=npusim.hw.preset("warboy", sram_per_pe="8MiB")) as runner:
            np.testing.assert_array_equal(runner.run(self.inputs[0])[0],
                                          self.cli_output(self.inputs[0]))
        with self.assertRaisesRegex(npusim.InvalidInputError, 'bad device "npu3pe7"'):
            create_runner(self.npub, device="npu3pe7")
        with self.assertRaises(npusim.ModelError):
            create_runner(self.tmp("missing.npub"))
        runner = create_runner(self.npub)
        runner.close()
        with self.assertRaisesRegex(npusim.ClosedError, "the runner is closed"):
            runner.run(self.inputs[0])

    def test_run_async_tasks(self):
        with create_runner(self.npub, worker_num=1) as sync:
            want = [sync.run(x)[0] for x in self.inputs]
            sync_span = sync.stats().span_ps
        with create_runner(self.npub, worker_num=4) as runner:
            tasks = [runner.run_async(x) for x in self.inputs]
            results = [t.wait(timeout=30) for t in tasks]
            for got, expected in zip(results, want):
                np.testing.assert_array_equal(got[0], expected)
            self.assertTrue(all(t.done() for t in tasks))
            with self.assertRaisesRegex(ValueError, "already called"):
                tasks[0].wait()
            stats = runner.stats()
        self.assertLess(stats.span_ps, sync_span)  # overlapped

    def test_asyncio_runner(self):
        async def main():
            async with create_runner(self.npub, worker_num=4) as runner:
                outs = await asyncio.gather(*(runner.run(x) for x in self.inputs))
                return outs, runner.stats()
        outs, stats = asyncio.run(main())
        for x, out in zip(self.inputs, outs):
            np.testing.assert_array_equal(out[0], self.cli_output(x))
        self.assertEqual(stats.requests, len(self.inputs))

    def asyncio_timeline(self, seed):
        """As many tasks as workers, each resubmitting when its result comes,
        after random Python-side work (some longer than the runtime's 20 ms
        grace): the simulated timeline must not depend on it."""
        rng = random.Random(seed)
        x = self.inputs[0]

        async def main():
            async with create_runner(self.npub, worker_num=3, timing_only=True) as runner:
                todo = iter(range(12))

                async def worker():
                    for _ in todo:
                        await runner.run(x)
                        time.sleep(rng.choice([0.0, 0.002, 0.03]))  # the application's own work
                        if rng.random() < 0.5:
                            await asyncio.sleep(0)

                await asyncio.gather(*(worker() for _ in range(3)))
                return runner.stats()
        stats = asyncio.run(main())
        return sorted((t.request, t.start_ps - stats.first_start_ps, t.end_ps - stats.first_start_ps)
                      for t in stats.timings)

    def test_asyncio_timeline_is_reproducible(self):
        first = self.asyncio_timeline(1)
        self.assertEqual(len(first), 12)
        self.assertEqual(self.asyncio_timeline(2), first)

    def test_asyncio_queue_with_contexts(self):
        async def main():
            got = {}
            async with create_queue(self.npub, worker_num=4, input_queue_size=2) as (sub, rec):
                async def submit():
                    for i, x in enumerate(self.inputs):
                        await sub.submit(x, context=("frame", i))
                    sub.close()

                async def receive():
                    async for context, outputs in rec:
                        got[context] = outputs[0]
                await asyncio.gather(submit(), receive())
                return got, rec.stats()
        got, stats = asyncio.run(main())
        self.assertEqual(sorted(got), [("frame", i) for i in range(len(self.inputs))])
        for i, x in enumerate(self.inputs):
            np.testing.assert_array_equal(got[("frame", i)], self.cli_output(x))
        self.assertEqual(stats.requests, len(self.inputs))

    def test_sync_queue_with_contexts(self):
        with create_queue(self.npub, worker_num=4) as (submitter, receiver):
            def produce():
                for i, x in enumerate(self.inputs):
                    submitter.submit(x, context=i)
                submitter.close()
            producer = threading.Thread(target=produce)
            producer.start()
            got = {context: outputs[0] for context, outputs in receiver}
            producer.join()
            self.assertIsNone(receiver.recv(timeout=1))
        self.assertEqual(sorted(got), list(range(len(self.inputs))))
        np.testing.assert_array_equal(got[3], self.cli_output(self.inputs[3]))

    def test_host_stages(self):
        x = self.inputs[0]
        with create_runner(self.npub) as plain:
            base = plain.run(x)
        post = HostStage(lambda arrays: [arrays[0].sum(axis=(2, 3))], cost_ms=3.0, name="reduce")
        with create_runner(self.npub, preprocess=HostStage(cost_ms=2.0), postprocess=post) as r:
            out = r.run(x)
        np.testing.assert_array_equal(out[0], base[0].sum(axis=(2, 3)))
        self.assertEqual(out.timing.host_ps - base.timing.host_ps, 5_000_000_000)

        def boom(arrays):
            raise ValueError("no boxes today")
        with create_runner(self.npub, postprocess=HostStage(boom, cost_ms=1.0, name="nms")) as r:
            with self.assertRaisesRegex(npusim.NpusimError,
                                        "the nms stage raised ValueError: no boxes today"):
                r.run(x)

        async def queue_error():
            async with create_queue(self.npub, postprocess=HostStage(boom, cost_ms=1.0,
                                                                      name="nms")) as (s, rec):
                await s.submit(x, context="frame 7")
                s.close()
                with self.assertRaises(npusim.NpusimError) as e:
                    await rec.recv()
                self.assertEqual(e.exception.context, "frame 7")
        asyncio.run(queue_error())

    def test_the_gil_is_released_while_the_simulator_runs(self):
        # The stage runs on the runtime's thread and needs the GIL, while the
        # main thread is inside run(): it can only finish if run() let go.
        started, go = threading.Event(), threading.Event()

        def wait_for_go(arrays):
            started.set()
            if not go.wait(10):
                raise TimeoutError("nobody said go")
            return arrays
        helper = threading.Thread(target=lambda: started.wait(10) and go.set())
        helper.start()
        with create_runner(self.npub, preprocess=HostStage(wait_for_go, cost_ms=0.0)) as runner:
            out = runner.run(self.inputs[0])
        helper.join()
        self.assertTrue(go.is_set())
        np.testing.assert_array_equal(out[0], self.cli_output(self.inputs[0]))

    def test_python_threads_call_run_at_once(self):
        # Four threads share a runner with four workers, each calling the
        # blocking run() twice. The first request's preprocessing (on the
        # runtime's thread) waits until all four threads have started their
        # calls: they can only while the first thread is inside run() if
        # run() lets go of the GIL while it waits. (When the others' requests
        # reach the runtime, and so how much they overlap on the simulated
        # timeline, depends on thread scheduling: not asserted here.)
        x = self.inputs[0]
        calling = threading.Condition()
        state = {"calling": 0, "waited": False}

        def first_waits_for_all(arrays):
            with calling:
                if not state["waited"]:
                    state["waited"] = True
                    if not calling.wait_for(lambda: state["calling"] == 4, 10):
                        raise TimeoutError("the other threads never got to run()")
            return arrays

        outputs = []

        def two_runs(runner):
            with calling:
                state["calling"] += 1
                calling.notify_all()
            outputs.extend(runner.run(x)[0] for _ in range(2))

        with create_runner(self.npub, worker_num=4,
                           preprocess=HostStage(first_waits_for_all, cost_ms=0.0)) as runner:
            threads = [threading.Thread(target=two_runs, args=(runner,), daemon=True)
                       for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            self.assertFalse(any(t.is_alive() for t in threads))
            self.assertEqual(runner.stats().requests, 8)
        self.assertEqual(len(outputs), 8)
        for out in outputs:
            np.testing.assert_array_equal(out, self.cli_output(x))

if __name__ == "__main__":
    unittest.main()
