"""How fast the redactor goes through a training log, beside grep doing its prefilter alone.

    python benchmarks/redact_throughput.py [--lines 200000]

A log of ordinary training lines with one secret; `redact_lines` (envdoctor's streaming
redactor: every line tested against the secret triggers, the few that match run the rules)
against `grep -c -i -F -f TRIGGERS` (the same substring test in C, and nothing else). No
pass/fail: it prints both times and the ratio.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from _timing import print_side_by_side, time_command  # noqa: E402

from envdoctor import redact  # noqa: E402

SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def write_log(path: str, count: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(count):
            fh.write(f"2024-05-01 12:00:{i % 60:02d} INFO step {i} loss=0.{i % 97} samples/sec=1234.5 "
                     f"path=/home/alice/x\n" if i != count // 2 else f"Authorization: Bearer {SECRET}\n")


def redact_file(path: str) -> float:
    with open(path, encoding="utf-8") as fh:
        t0 = time.perf_counter()
        out = list(redact.redact_lines(fh))
        took = time.perf_counter() - t0
    if SECRET in "".join(out):
        raise SystemExit("the secret was not redacted")
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--lines", type=int, default=200_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log, triggers = os.path.join(tmp, "train.log"), os.path.join(tmp, "triggers")
        write_log(log, args.lines)
        with open(triggers, "w", encoding="utf-8") as fh:
            fh.write("\n".join(redact._TRIGGERS) + "\n")
        grep = time_command(["grep", "-c", "-i", "-F", "-f", triggers, log])
        mine = min(redact_file(log) for _ in range(3))
    print(f"{args.lines} lines of a training log, one secret")
    print_side_by_side([("grep -c -i -F -f TRIGGERS", grep), ("envdoctor redact_lines", mine)],
                       "grep -c -i -F -f TRIGGERS")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
