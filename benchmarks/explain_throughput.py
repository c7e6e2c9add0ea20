#!/usr/bin/env python3
"""Throughput of `envdoctor explain` against `grep -E -n -f` with the same signatures.

    python benchmarks/explain_throughput.py [--mb 200] [--unique] [--keep DIR]

Generates a log of about --mb megabytes: the noise the four platforms really print (training
progress, pip output, compile progress, shell prompts; every line with its own numbers, user
names and host names vary by session) with fault messages from the knowledge base's examples
sprinkled in. --unique makes every line's words unique too (a worst case for the shape cache).

Then times, on the same file:
  - `envdoctor explain FILE --json` (a real process, start-up included),
  - the matcher in-process (explain_file),
  - `grep -E -n -f SIGS FILE` (SIGS: every signature, context and platform marker translated to
    POSIX ERE), in the current locale and with LC_ALL=C,
and prints MB/s for each and the ratio explain/grep. No pass/fail: the aim is >= 0.5.

Then (--dense-mb, default --mb) the in-process matcher on a log in which every line is a fault
message (the knowledge base's one-line examples, every digit varied: a worst case for answering
lines by their key) against a clean log of the same size, and prints matching lines/s and the
ratio dense/clean (aim: <= 2).
Times are wall-clock and CPU (user+sys of the child, or process time in-process); on a busy
machine the CPU figures are the fairer comparison.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

NOISE = [
    "{ts} INFO:   | Train Device=CSX, Step={n}, Loss={f}, Rate={f} samples/sec, GlobalRate={f} samples/sec, "
    "LoopTimeRemaining=0:0{d}:{n2}, TimeRemaining>0:0{d}:{n2}",
    "{ts} INFO:   | Eval Device=CSX, GlobalStep={n}, Batch={d}, Loss={f}, Rate={f} samples/sec, GlobalRate={f} samples/sec",
    "{ts} INFO:   Job id: wsjob-{h}, workflow id: wflow-{h}, namespace: job-operator, remote log path: /n1/wsjob/workdir/job-operator/wsjob-{h}",
    "Collecting transformers=={d}.{n2}.1 (from cerebras-modelzoo==2.10.0)",
    "  Downloading numpy-1.{n2}.{d}-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl ({f} MB)",
    "Requirement already satisfied: torch==2.4.0 in /home/{user}/R_2.10.0/venv_cerebras_pt/lib/python3.11/site-packages (from x) ({d}.{d}.0)",
    "step {n} of epoch {d}, loss: {f}, acc: {f}e-05, lr: {f}e-05, throughput: {f} samples/sec",
    "Graph compilation: {n2}%|######    | {n2}/100 [00:{n2}<00:{n2}]",
    "Epochs: {n2}%|#####     | {d}/10 [01:{n2}<00:{n2},  {f}s/it]",
    "[{user}@{host} minilm]$ python minilmv2.py",
    "    Compiling model",
    "Epoch [1/1], Step [{n}/60000], Loss: {f}",
    "|  groq  |  {f}  |  {f}  |  {f}  |  {f}  |  {f}  |",
    "[Info][SAMBA][Default] # Placing log files in /home/{user}/apps/starters/lenet/pef/lenet/lenet.samba.log",
    "inner train loop time : {f} for 10 epochs, number of global steps: {n}, e2e samples_per_sec: {f}",
    "DEBUG:root:loaded shard {n} from /software/datasets/owt/shard_{n}.h5 in {f}s",
    "{ts} INFO:   Saved checkpoint model_dir/checkpoint_{n}.mdl",
]
USERS = ["jdoe", "asmith", "k_lee", "mgarcia42", "student07"]
HOSTS = ["groq-r01-gn-0{d}", "cer-usn-0{d}", "gc-poplar-0{d}", "sn30-r{d}-h1"]


def _fill(template: str, rnd: random.Random, user: str, host: str, unique: bool) -> str:
    line = template.format(
        ts=f"2025-11-0{rnd.randint(1, 9)} {rnd.randint(10, 23)}:{rnd.randint(10, 59)}:{rnd.randint(10, 59)},{rnd.randint(100, 999)}",
        n=rnd.randint(1, 99999), n2=rnd.randint(10, 99), d=rnd.randint(1, 9), f=f"{rnd.random() * 1000:.5f}",
        h="%08x" % rnd.getrandbits(32), user=user, host=host.format(d=rnd.randint(1, 9)))
    if unique:
        line += " tag" + "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
    return line


def generate(path: str, megabytes: float, unique: bool, seed: int = 7) -> int:
    """Write the log; returns how many fault lines were sprinkled in."""
    from envdoctor.knowledge.kb import default

    rnd = random.Random(seed)
    faults = [ex for f in default().faults for ex in f.examples]
    target = int(megabytes * 1e6)
    written, sprinkled = 0, 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < target:
            user, host = rnd.choice(USERS), rnd.choice(HOSTS)
            pool = [_fill(t, rnd, user, host, unique) for t in NOISE for _ in range(40)]
            lines = [rnd.choice(pool) if not unique else _fill(rnd.choice(NOISE), rnd, user, host, True)
                     for _ in range(20000)]
            if rnd.random() < 0.5:  # about one fault per 40,000 lines
                lines[rnd.randrange(len(lines))] = rnd.choice(faults).rstrip("\n")
                sprinkled += 1
            text = "\n".join(lines) + "\n"
            fh.write(text)
            written += len(text.encode("utf-8"))
    return sprinkled


def generate_dense(path: str, megabytes: float, seed: int = 11) -> int:
    """A log in which every line is a fault message: the knowledge base's one-line examples, their
    digits varied (job ids, line numbers, sizes differ from line to line). Returns the line count."""
    from envdoctor.knowledge.kb import default

    rnd = random.Random(seed)
    examples = [ex.rstrip("\n") for f in default().faults for ex in f.examples if "\n" not in ex.rstrip("\n")]
    target = int(megabytes * 1e6)
    written = count = 0
    digit = re.compile(r"\d")
    with open(path, "w", encoding="utf-8") as fh:
        while written < target:
            lines = [digit.sub(lambda _: str(rnd.randint(0, 9)), rnd.choice(examples)) for _ in range(20000)]
            text = "\n".join(lines) + "\n"
            fh.write(text)
            written += len(text.encode("utf-8"))
            count += len(lines)
    return count


def generate_clean(path: str, megabytes: float, seed: int = 7) -> None:
    """The noise alone: no fault message at all."""
    rnd = random.Random(seed)
    target = int(megabytes * 1e6)
    written = 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < target:
            user, host = rnd.choice(USERS), rnd.choice(HOSTS)
            pool = [_fill(t, rnd, user, host, False) for t in NOISE for _ in range(40)]
            text = "\n".join(rnd.choice(pool) for _ in range(20000)) + "\n"
            fh.write(text)
            written += len(text.encode("utf-8"))


def dense_vs_clean(workdir: str, megabytes: float) -> None:
    """In-process matcher time on a log where every line matches a fault vs a clean log of the
    same size (aim: at most 2x)."""
    from envdoctor.knowledge import explain_file

    dense, clean = os.path.join(workdir, "dense.log"), os.path.join(workdir, "clean.log")
    n = generate_dense(dense, megabytes)
    generate_clean(clean, os.path.getsize(dense) / 1e6)
    times = {}
    for name, path in (("clean", clean), ("dense", dense)):
        start, cpu0 = time.perf_counter(), time.process_time()
        found = explain_file(path)
        times[name] = (time.perf_counter() - start, time.process_time() - cpu0, len(found))
        os.remove(path)
    (cw, cc, _), (dw, dc, df) = times["clean"], times["dense"]
    print(f"dense log: {n} lines, every one a fault message, {megabytes:.0f} MB")
    print(f"  clean log (same size)            wall {cw:6.2f} s   cpu {cc:6.2f} s")
    print(f"  dense log                        wall {dw:6.2f} s   cpu {dc:6.2f} s   {n / max(dw, 1e-9):,.0f} matching lines/s"
          f"  {df} findings")
    print(f"ratio dense/clean, wall: {dw / cw:.2f}   cpu: {dc / cc:.2f}   aim: <= 2")


def to_ere(pattern: str) -> str:
    """Python regex (the subset the knowledge base uses) -> POSIX ERE for GNU grep."""
    pattern = pattern.replace("(?i)", "")  # grep -E has no inline flags; case stays as written
    out, i, in_class = [], 0, False
    classes = {"d": "[0-9]", "s": "[[:space:]]", "S": "[^[:space:]]", "w": "[[:alnum:]_]", "W": "[^[:alnum:]_]"}
    inner = {"d": "0-9", "s": "[:space:]", "w": "[:alnum:]_"}
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if in_class and nxt in inner:
                out.append(inner[nxt])
            elif not in_class and nxt in classes:
                out.append(classes[nxt])
            elif in_class:
                out.append(nxt if nxt not in "]\\^-" else "\\" + nxt)
            else:
                out.append("\\" + nxt)
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
                # POSIX: a '-' must be last in a class to be literal
                start = max(k for k, part in enumerate(out) if part == "[" or part == "[^")
                body = "".join(out[start + 1:])
                if "-" in body and not body.endswith("-"):
                    body = re.sub(r"(?<![0-9a-zA-Z])-|-(?![0-9a-zA-Z])", "", body) + "-"
                out[start + 1:] = [body]
            out.append(ch)
        elif ch == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "^":
                out.append("[^")
                i += 2
                continue
            out.append("[")
        elif pattern.startswith("(?:", i):
            out.append("(")
            i += 3
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _child_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int, str]:
    start, cpu = time.perf_counter(), _child_cpu()
    proc = subprocess.run(cmd, capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    return elapsed, _child_cpu() - cpu, proc.returncode, proc.stdout.decode("utf-8", "replace")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=200.0, help="size of the generated log (default 200)")
    ap.add_argument("--unique", action="store_true", help="make every line unique (worst case)")
    ap.add_argument("--keep", help="directory to keep the log and the ERE file in")
    ap.add_argument("--dense-mb", type=float, default=None,
                    help="size of the every-line-matches log vs a clean one (default: --mb; 0 skips)")
    ap.add_argument("--locale-grep", action="store_true",
                    help="also time grep in the current (UTF-8) locale; GNU grep is much slower there")
    args = ap.parse_args()

    from envdoctor.knowledge import explain_file
    from envdoctor.knowledge.kb import default

    workdir = args.keep or tempfile.mkdtemp(prefix="envdoctor-bench-")
    os.makedirs(workdir, exist_ok=True)
    log = os.path.join(workdir, "big.log")
    ere = os.path.join(workdir, "signatures.ere")
    t0 = time.perf_counter()
    sprinkled = generate(log, args.mb, args.unique)
    size_mb = os.path.getsize(log) / 1e6
    print(f"generated {size_mb:.1f} MB ({sprinkled} fault lines) in {time.perf_counter() - t0:.1f} s: {log}")

    sigs = sorted({s.pattern for s in default().all_signatures()})
    with open(ere, "w", encoding="utf-8") as fh:
        fh.write("\n".join(to_ere(p) for p in sigs) + "\n")
    print(f"{len(sigs)} signatures ({len(default().faults)} faults) -> {ere}")

    results = []
    env = dict(os.environ, PYTHONPATH=ROOT)
    # Start-up (imports, knowledge base from its cache) measured apart, on an empty file; the
    # first run after a change of faults.yaml also parses the YAML and fills the cache.
    empty = os.path.join(workdir, "empty.log")
    open(empty, "w").close()
    timed([sys.executable, "-m", "envdoctor", "explain", empty, "--json"], env)
    t, cpu, rc, _ = timed([sys.executable, "-m", "envdoctor", "explain", empty, "--json"], env)
    os.remove(empty)
    print(f"  start-up (empty file)            wall {t:6.2f} s   cpu {cpu:6.2f} s")
    t, cpu, rc, out = timed([sys.executable, "-m", "envdoctor", "explain", log, "--json"], env)
    import json

    found = len(json.loads(out)["findings"]) if rc == 0 else -1
    results.append(("envdoctor explain (process)", t, cpu, rc, f"{found} findings"))
    start, cpu0 = time.perf_counter(), time.process_time()
    findings = explain_file(log)
    results.append(("matcher in-process", time.perf_counter() - start, time.process_time() - cpu0, 0,
                     f"{len(findings)} findings"))
    if args.locale_grep:
        t, cpu, rc, out = timed(["grep", "-E", "-n", "-f", ere, log])
        results.append((f"grep -E -n -f ({os.environ.get('LANG', 'C') or 'C'})", t, cpu, rc, f"{out.count(chr(10))} lines"))
    t, cpu, rc, out = timed(["grep", "-E", "-n", "-f", ere, log], dict(os.environ, LC_ALL="C"))
    results.append(("grep -E -n -f (LC_ALL=C)", t, cpu, rc, f"{out.count(chr(10))} lines"))

    for name, secs, cpu, rc, note in results:
        print(f"  {name:32s} wall {secs:6.2f} s {size_mb / secs:7.1f} MB/s   cpu {cpu:6.2f} s {size_mb / max(cpu, 1e-9):7.1f} MB/s"
              f"  rc={rc}  {note}")
    greps = [r for r in results[2:] if r[3] in (0, 1)]
    best_wall, best_cpu = min(r[1] for r in greps), min(r[2] for r in greps)
    print(f"ratio explain/grep, wall: {best_wall / results[0][1]:.2f}   cpu: {best_cpu / results[0][2]:.2f}"
          f"   (in-process matcher, cpu: {best_cpu / results[1][2]:.2f})  aim: >= 0.5")
    dense_mb = args.mb if args.dense_mb is None else args.dense_mb
    if dense_mb > 0:
        dense_vs_clean(workdir, dense_mb)
    if not args.keep:
        os.remove(log)
        os.remove(ere)
        os.rmdir(workdir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
