"""A snapshot of a home with hostile files in it: it records what it can, quickly, and says
what it could not (a YAML alias bomb in ~/.condarc must not stall or exhaust it)."""
from __future__ import annotations

import json
import time
from pathlib import Path

BOMB = "\n".join(['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
                 + [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
                 + ["channels: *a8"]) + "\n"


def test_condarc_alias_bomb_is_a_note(home_node, cli) -> None:
    t = home_node("alice", secrets=False)
    Path(t.home, ".condarc").write_text(BOMB)
    started = time.monotonic()
    rc, out, err = cli("snapshot", "--platform", "graphcore", "--target", "sim", "--sim-root", t.root)
    assert rc == 0, err
    assert time.monotonic() - started < 120
    snap = json.loads(out)
    assert snap["proxy"].get("condarc") is None
    assert any("condarc" in n and "anchor" in n for n in snap["notes"]), snap["notes"]
