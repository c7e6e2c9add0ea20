#!/usr/bin/env python3
"""Right fault in the first three findings of `envdoctor explain`, on real error texts.

    python benchmarks/explain_accuracy.py [--split heldout|tuning|all] [--misses] [--json]

The texts are tests/knowledge/corpus/errors.jsonl: errors users pasted in public issue and forum
threads, each with the fault the thread confirmed (and ids that name the same cause). A text
counts as right when one of the first three findings that are not marked harmless names that
fault. Reported for the tuning part and the held-out part (never tuned on) side by side with a
plain keyword baseline: a dozen substring rules, first match first, the kind of list a helpdesk
keeps. Also: how often explain says nothing at all, and how often the answer came only from the
ranked fallback (confidence below 0.5).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Dict, List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
CORPUS = os.path.join(ROOT, "tests", "knowledge", "corpus", "errors.jsonl")

# (substring, case-insensitive) -> fault id. Order matters: the first rules that hit come first.
KEYWORD_RULES: List[Tuple[str, str]] = [
    ("conda: command not found", "conda.not-found"),
    ("command not found", "shell.command-not-found"),
    ("no module named", "python.module-not-found"),
    ("undefined symbol", "lib.undefined-symbol"),
    ("no space left on device", "disk.full"),
    ("quota exceeded", "disk.quota-exceeded"),
    ("no matching distribution", "packages.no-matching-version"),
    ("conflicting dependencies", "packages.resolution-impossible"),
    ("externally-managed-environment", "packages.externally-managed"),
    ("due to time limit", "slurm.time-limit"),
    ("walltime", "pbs.walltime-exceeded"),
    ("oom", "slurm.oom-kill"),
    ("partition", "slurm.invalid-partition"),
    ("permission denied (publickey)", "repo.ssh-publickey"),
]


def load(split: str) -> List[Dict[str, Any]]:
    with open(CORPUS, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def baseline(text: str) -> List[str]:
    low = text.lower()
    out: List[str] = []
    for needle, fault in KEYWORD_RULES:
        if needle in low and fault not in out:
            out.append(fault)
    return out


def envdoctor(text: str) -> List[Tuple[str, float]]:
    from envdoctor.knowledge import explain_text

    return [(f.fault, f.confidence) for f in explain_text(text) if not f.harmless]


def right(row: Dict[str, Any], ids: List[str]) -> bool:
    want = {row["fault"], *row.get("accept", ())}
    return any(i in want for i in ids[:3])


def score(rows: List[Dict[str, Any]], misses: bool) -> Dict[str, Any]:
    hit_env = hit_base = silent = fallback_only = 0
    missed = []
    for row in rows:
        found = envdoctor(row["text"])
        ids = [f for f, _ in found]
        if right(row, ids):
            hit_env += 1
            if all(c < 0.5 for _, c in found[:3]):
                fallback_only += 1
        elif misses:
            missed.append((row["id"], row["fault"], ids[:3]))
        if not found:
            silent += 1
        if right(row, baseline(row["text"])):
            hit_base += 1
    n = len(rows) or 1
    return {"n": len(rows), "envdoctor_top3": round(hit_env / n, 3), "baseline_top3": round(hit_base / n, 3),
            "nothing_recognised": round(silent / n, 3), "right_only_by_fallback": fallback_only, "missed": missed}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("heldout", "tuning", "all", "both"), default="both")
    ap.add_argument("--misses", action="store_true", help="list the texts envdoctor got wrong")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    splits = ("tuning", "heldout") if args.split == "both" else (args.split,)
    results = {s: score(load(s), args.misses) for s in splits}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'part':8} {'texts':>5}  {'envdoctor top-3':>15}  {'keyword baseline':>16}  {'nothing said':>12}  "
          f"{'right via fallback':>18}")
    for s, r in results.items():
        print(f"{s:8} {r['n']:5d}  {r['envdoctor_top3']:15.1%}  {r['baseline_top3']:16.1%}  "
              f"{r['nothing_recognised']:12.1%}  {r['right_only_by_fallback']:18d}")
        for mid, fault, got in r["missed"]:
            print(f"    miss {mid}: want {fault}, got {', '.join(got) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
