#!/usr/bin/python3
"""Step 4 of the Warboy tutorial: the asyncio runner with 8 workers. Eight
tasks each take the next frame, await the NPU and decode it, so up to eight
frames are in flight; prints the simulated total next to the tutorial's.

    examples/warboy_tutorial/async_runner.py [--size 640] [--frames 1000] [--workers 8]
"""
import asyncio

import common
from npusim.runtime import create_runner


async def run_async(args, model, frames, names):
    pre, post = common.stages(args, names)
    async with create_runner(model, device=args.device, worker_num=args.workers,
                             timing_only=not args.functional, preprocess=pre,
                             postprocess=post) as runner:
        todo = iter(frames)

        async def worker():
            for frame in todo:  # the tasks share one iterator: each takes the next frame
                boxes = (await runner.run(frame))[0]
                assert boxes.shape[1] == 6

        await asyncio.gather(*(worker() for _ in range(args.workers)))
        return runner.stats()


def main():
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    model = common.load(args)
    desc = model.input(0)
    frames = common.frames(desc, args.frames)
    stats = asyncio.run(run_async(args, model, frames, common.output_names(model)))
    common.report("async", f"async x{args.workers}", stats, args.frames)


if __name__ == "__main__":
    main()
