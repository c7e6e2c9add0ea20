"""Cost of proc.run's process hygiene (group registry, watchdog, bounded pipe pumping)
against plain subprocess.run, per command.

    python benchmarks/proc_overhead.py [--repeat 300]

Three workloads: `true` (pure start-up cost), `bash -c` writing 1 MiB (pumping), and
`bash -c` whose setsid'd background process keeps the pipes (proc returns READ_GRACE
after the shell; subprocess.run waits for the background process, here 2 s).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from typing import Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

WORKLOADS = {
    "true": ["true"],
    "1 MiB of output": ["bash", "-c", "head -c 1048576 /dev/zero | tr '\\0' x"],
    "setsid daemon holds the pipes": ["bash", "-c", "setsid sleep 2 & echo started"],
}


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up (starts proc's watchdog once)
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=300)
    args = ap.parse_args()
    from envdoctor import proc

    print(f"{'workload':<32} {'subprocess.run':>15} {'proc.run':>10}")
    for name, argv in WORKLOADS.items():
        repeat = args.repeat if "daemon" not in name else 3

        def plain(argv: list[str] = argv) -> object:
            return subprocess.run(argv, capture_output=True, text=True, timeout=30, start_new_session=True)

        def ours(argv: list[str] = argv) -> object:
            return proc.run(argv, timeout=30)

        print(f"{name:<32} {median_ms(plain, repeat):12.2f} ms {median_ms(ours, repeat):7.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
