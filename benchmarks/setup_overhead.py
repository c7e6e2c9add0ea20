"""How much does envdoctor itself cost on top of the commands it runs?

For each platform: build two fresh simulated nodes; on one run `envdoctor setup P --target
sim --yes`; on the other run, with bash, the very commands `setup --plan --json` prints
(the course's commands, with the node's paths and local upstreams substituted, diffs applied
with `patch`), as a person following the plan would. Then time a second, no-op setup
(aim: about a second). Prints a side-by-side table with the ratio.

    python benchmarks/setup_overhead.py [groq cerebras graphcore sambanova] [--keep DIR]

`uv` is not used by the steps: pip is what the course documents; where uv is installed the
table says so, for a follow-up comparison.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def envdoctor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "envdoctor", *args], capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"})


def by_hand_script(plan: dict, root: Path) -> str:
    """The plan's commands as a bash script for this node (what a person types, mapped)."""
    from envdoctor.targets import open_sim as sim

    target = sim(str(root))
    roots = "|".join(target.meta.get("mapped_roots", ()))
    lines = ["set -euo pipefail", f"cp {shlex.quote(str(root))}/cache/Miniconda3-latest-Linux-x86_64.sh ~/ 2>/dev/null || true"]
    for step in plan["steps"]:
        if step["status"] == "done":
            continue
        lines.append(f"# {step['id']}")
        for cmd in step["commands"]:
            for url, local in target.meta.get("upstreams", {}).items():
                cmd = cmd.replace(url, local)
            cmd = re.sub(rf"(?<![\w~./-])/({roots})/", lambda m: f"{root}/{m.group(1)}/", cmd)
            if cmd.startswith("conda "):
                # what the new login after `conda init` gives a person (the course says: log in again)
                cmd = f'eval "$(~/miniconda3/bin/conda shell.bash hook)" && {cmd}'
            activates = cmd.startswith("source") or " conda activate " in cmd
            lines.append(cmd if activates else f"( {cmd} ) >/dev/null 2>&1")
        if not step["commands"]:
            for diff in step["diffs"]:
                path = diff["path"].replace("~", "$HOME", 1)
                lines.append(f'mkdir -p "$(dirname "{path}")" && touch "{path}" && patch -s "{path}" <<\'EOF\'\n{diff["diff"]}EOF')
    return "\n".join(lines) + "\n"


def bench(platform: str, base: Path) -> dict[str, float | str]:
    from envdoctor.targets import open_sim as sim
    from envdoctor.targets.sim.builder import create

    a, b = base / f"{platform}-envdoctor", base / f"{platform}-by-hand"
    create(platform, root=str(a))
    create(platform, root=str(b))

    t0 = time.monotonic()
    done = envdoctor("setup", platform, "--target", "sim", "--sim-root", str(a), "--yes")
    t_setup = time.monotonic() - t0
    if done.returncode != 0:
        raise SystemExit(f"setup failed on {platform}: {done.stdout[-2000:]}{done.stderr}")

    plan = json.loads(envdoctor("setup", platform, "--target", "sim", "--sim-root", str(b), "--plan", "--json").stdout)
    script = by_hand_script(plan, b)
    (base / f"{platform}-by-hand.sh").write_text(script)
    target = sim(str(b))
    t0 = time.monotonic()
    hand = subprocess.run(["bash", "-c", script], env=target.process_env(), cwd=target.home, capture_output=True, text=True)
    t_hand = time.monotonic() - t0
    if hand.returncode != 0:
        print(f"  (by-hand script for {platform} failed: {hand.stderr.strip()[-300:]})", file=sys.stderr)

    noops = []
    for _ in range(3):
        t0 = time.monotonic()
        again = envdoctor("setup", platform, "--target", "sim", "--sim-root", str(a), "--yes")
        noops.append(time.monotonic() - t0)
        assert "nothing to do" in again.stdout, again.stdout[-1000:]
    t0 = time.monotonic()
    envdoctor("check", platform, "--target", "sim", "--sim-root", str(a), "--offline")
    t_check = time.monotonic() - t0
    return {"platform": platform, "setup": t_setup, "by_hand": t_hand, "ratio": t_setup / t_hand if t_hand else 0.0,
            "noop": min(noops), "check": t_check, "hand_ok": "yes" if hand.returncode == 0 else "no"}


def main(argv: list[str]) -> int:
    keep = None
    if "--keep" in argv:
        i = argv.index("--keep")
        keep = Path(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    platforms = argv or ["groq", "cerebras", "graphcore", "sambanova"]
    base = keep or Path(tempfile.mkdtemp(prefix="envdoctor-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for p in platforms:
            rows.append(bench(p, base))
            r = rows[-1]
            print(f"  {p}: setup {r['setup']:.1f} s, by hand {r['by_hand']:.1f} s, no-op {r['noop']:.2f} s", file=sys.stderr)
    finally:
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)
    print(f"{'platform':<10} {'envdoctor setup':>16} {'plan by hand':>13} {'ratio':>6} {'no-op setup':>12} "
          f"{'check alone':>12} {'hand ok':>8}")
    for r in rows:
        print(f"{r['platform']:<10} {r['setup']:>14.1f} s {r['by_hand']:>11.1f} s {r['ratio']:>6.2f} "
              f"{r['noop']:>10.2f} s {r['check']:>10.2f} s {r['hand_ok']:>8}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
          f"uv: {'installed at ' + shutil.which('uv') if shutil.which('uv') else 'not installed (pip only)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
