"""The bridge between a runner's session and an asyncio event loop.

Results arrive by callback on the runtime's dispatcher thread and are handed
to the loop with call_soon_threadsafe. Simulated time may advance only while
the application cannot submit anything (docs/runtime.md, "Time"): for an
event loop that is when it has no ready callbacks left while requests are in
flight. The bridge checks that at the end of each loop iteration and then
calls mark_idle(results seen); the runtime refuses the mark while a result is
on its way to the loop, and clears it when it delivers one or a request is
submitted. So a request submitted in reaction to a result starts
at that result's simulated time however long the Python code took, and the
timeline is the same on every run.

The check reads the loop's ready queue (asyncio's BaseEventLoop._ready); on
a loop without one, time moves on whenever requests are in flight (results
stay right, the timeline may vary from run to run).
"""


class LoopBridge:
    def __init__(self, core, loop):
        self._core = core
        self._loop = loop
        self.unfinished = 0        # submitted through this bridge, not yet delivered
        self._seen = 0             # results the loop has taken
        self._probe_pending = False
        self._on_delivery = []     # callables run after each delivery (queues)

    def submit(self, arrays, wrap):
        """Submits one request; returns an asyncio future of wrap(outputs, timing)."""
        future = self._loop.create_future()
        loop = self._loop

        def done(outputs, timing, error):  # the runtime's thread, with the GIL
            try:
                loop.call_soon_threadsafe(self._deliver, future, wrap, outputs, timing, error)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

        self._core.submit_callback(arrays, done)
        self.unfinished += 1
        self._schedule_probe()
        return future

    def add_delivery_listener(self, fn):
        self._on_delivery.append(fn)

    def _deliver(self, future, wrap, outputs, timing, error):
        self.unfinished -= 1
        self._seen += 1
        if not future.cancelled():
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(wrap(outputs, timing))
        for fn in self._on_delivery:
            fn()
        self._schedule_probe()

    def _schedule_probe(self):
        if self._probe_pending or self.unfinished == 0:
            return
        self._probe_pending = True
        self._loop.call_soon(self._probe)

    def _probe(self):
        self._probe_pending = False
        if self.unfinished == 0:
            return
        ready = getattr(self._loop, "_ready", None)
        if ready is None or len(ready) == 0:
            # Refused while a result is on its way to the loop: its delivery
            # schedules the next look.
            self._core.mark_idle(self._seen)
        else:
            self._schedule_probe()  # the loop is busy: look again next iteration
