#!/usr/bin/python3
"""Step 3 of the Warboy tutorial: the sync runner. One frame at a time:
preprocess, run on the NPU, decode + NMS on the host; prints the simulated
total next to the tutorial's.

    examples/warboy_tutorial/sync_runner.py [--size 640] [--frames 1000]
"""
import common
from npusim.runtime import create_runner


def run_sync(args, model, frames, names):
    pre, post = common.stages(args, names)
    with create_runner(model, device=args.device, worker_num=1, timing_only=not args.functional,
                       preprocess=pre, postprocess=post) as runner:
        for frame in frames:
            boxes = runner.run(frame)[0]  # the postprocess stage's result: [N, 6]
            assert boxes.shape[1] == 6
        return runner.stats()


def main():
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    model = common.load(args)
    desc = model.input(0)
    stats = run_sync(args, model, common.frames(desc, args.frames), common.output_names(model))
    common.report("sync", "sync", stats, args.frames)


if __name__ == "__main__":
    main()
