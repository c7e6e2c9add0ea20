"""Launch overhead of `envdoctor run` (everything but the job itself), side by side with
running the workload command by hand.

    python benchmarks/run_overhead.py [--repeat 3] [--sim-root DIR]

Uses a simulated Graphcore node (built with --ready when --sim-root is not given) and the
direct launcher path of the engine with --no-check; the overhead is envdoctor's wall time
minus the hand-run time of the same command in the same environment.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sim-root", default="")
    args = ap.parse_args()
    os.environ.setdefault("XDG_DATA_HOME", tempfile.mkdtemp(prefix="envdoctor-bench-data-"))
    from envdoctor.targets import open_target

    root = args.sim_root
    if not root:
        from envdoctor.targets.sim.builder import create

        root = os.path.join(tempfile.mkdtemp(prefix="envdoctor-bench-"), "gc")
        t0 = time.perf_counter()
        create("graphcore", root=root, ready=True)
        print(f"sim node built in {time.perf_counter() - t0:.1f} s: {root}")
    node = open_target("sim", "graphcore", root)
    work = node.path("~/graphcore/examples/tutorials/simple_applications/pytorch/mnist")
    venv = node.path("~/venvs/graphcore/poptorch33_env")
    by_hand_cmd = (f"source {venv}/bin/activate && cd {work} && "
                   "SLURM_JOB_ID=0 python mnist_poptorch.py --epochs 1 > /dev/null")
    hand, tool, check = [], [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        subprocess.run(["bash", "-c", by_hand_cmd], check=True, env=node.process_env())
        hand.append(time.perf_counter() - t)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "envdoctor", "run", "graphcore", "--set", "epochs=1", "--target", "sim",
                        "--sim-root", root, "--no-check"], check=True, stdout=subprocess.DEVNULL)
        tool.append(time.perf_counter() - t)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "envdoctor", "run", "graphcore", "--set", "epochs=1", "--target", "sim",
                    "--sim-root", root], stdout=subprocess.DEVNULL)
    check.append(time.perf_counter() - t)
    h, e = statistics.median(hand), statistics.median(tool)
    print(f"by hand (activate, cd, python):      {h:6.2f} s  (median of {args.repeat})")
    print(f"envdoctor run --no-check (sbatch):   {e:6.2f} s")
    print(f"launch overhead:                     {e - h:6.2f} s  (submit, poll, parse, record, fingerprint)")
    print(f"envdoctor run with the check first:  {check[0]:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
