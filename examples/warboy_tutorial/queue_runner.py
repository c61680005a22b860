#!/usr/bin/python3
"""Step 5 of the Warboy tutorial: the queue API. One task submits every frame
with its number as the context, another receives results as they finish
(possibly out of order) and puts each back in place by its context.

    examples/warboy_tutorial/queue_runner.py [--size 640] [--frames 1000] [--workers 8]
"""
import asyncio

import common
from npusim.runtime import create_queue


async def run_queue(args, model, frames, names):
    pre, post = common.stages(args, names)
    results = [None] * len(frames)
    async with create_queue(model, device=args.device, worker_num=args.workers,
                            timing_only=not args.functional, preprocess=pre,
                            postprocess=post) as (submitter, receiver):
        async def submit():
            for i, frame in enumerate(frames):
                await submitter.submit(frame, context=i)
            submitter.close()

        async def receive():
            async for i, outputs in receiver:
                results[i] = outputs[0]

        await asyncio.gather(submit(), receive())
        assert all(r is not None for r in results)
        return receiver.stats()


def main():
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    model = common.load(args)
    desc = model.input(0)
    frames = common.frames(desc, args.frames)
    stats = asyncio.run(run_queue(args, model, frames, common.output_names(model)))
    common.report("queue", f"queue x{args.workers}", stats, args.frames)


if __name__ == "__main__":
    main()
