#!/usr/bin/python3
"""Step 2 of the Warboy tutorial: compile the int8 model for one PE and for the
fused pair, printing each compiler stage's time and where the nodes run.

    examples/warboy_tutorial/compile.py [--size 640]
"""
import collections

import common
import npusim


def compile_model(args):
    source = common.ensure_int8(args)
    for target in ("single", "fused"):
        compiled = npusim.compiler.compile(source, target=target)
        units = collections.Counter(p["unit"] for p in compiled.placement)
        stages = ", ".join(f"{name} {ms:.0f} ms" for name, ms in compiled.stages)
        print(f"{target:<7}  NPU {units['NPU']} node(s), CPU {units['CPU']}; SRAM peak "
              f"{compiled.sram_peak / 2**20:.1f} MiB/PE, weights {compiled.dram_weights / 2**20:.1f} MiB")
        print(f"         stages: {stages}")
        for reason, n in collections.Counter(p["reason"] for p in compiled.cpu_nodes).items():
            print(f"         CPU: {n} node(s): {reason}")
        if target == "single":
            compiled.save(common.model_file(args, "npub"))
            print(f"         wrote {common.model_file(args, 'npub')}")


def main():
    args = common.parser(__doc__.splitlines()[0], runners=False).parse_args()
    compile_model(args)


if __name__ == "__main__":
    main()
