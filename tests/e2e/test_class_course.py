"""A test course end to end: real local users, their simulated nodes with planted faults,
the real `check --share`, then `class report` and `class accounts`: the page's grid and
fault ranking match what was planted."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# user stem -> faults planted on that student's Graphcore node (None: no report at all)
PLANTED = {
    "ann": (),
    "ben": ("repo-wrong-tag",),
    "cat": ("repo-wrong-tag", "sdk-not-enabled"),
    "dan": None,
}


def test_planted_course_gives_the_page_it_should(cli, sim_node, local_accounts, share_dir: Path, tmp_path: Path) -> None:
    group = local_accounts.group("course")
    users = {stem: local_accounts.user(stem, groups=(group,), home_mode=0o755) for stem in PLANTED}
    for stem, faults in PLANTED.items():
        if faults is None:
            continue
        node = sim_node("graphcore", ready=True, faults=faults, user=users[stem])
        rc, out, err = cli("check", "graphcore", "--target", "sim", "--sim-root", node.root, "--offline",
                           "--share", str(share_dir))
        assert rc == (0 if not faults else 1), out + err
        assert (share_dir / users[stem] / "graphcore.json").is_file()
    roster = tmp_path / "roster.csv"
    roster.write_text("user,name\n" + "".join(f"{u},{stem.title()}\n" for stem, u in users.items()))
    page, table = tmp_path / "class.html", tmp_path / "class.csv"
    rc, out, err = cli("class", "report", str(share_dir), "--html", str(page), "--csv", str(table),
                       "--roster", str(roster))
    assert rc == 1, out + err  # failing students and a missing report

    rows = {(r["user"], r["platform"]): r for r in csv.DictReader(io.StringIO(table.read_text()))}
    assert rows[(users["ann"], "graphcore")]["status"] == "ok"
    assert rows[(users["ben"], "graphcore")]["status"] == "fail"
    assert rows[(users["cat"], "graphcore")]["status"] == "fail"
    assert rows[(users["dan"], "graphcore")]["status"] == "missing"

    from envdoctor.classroom import aggregate, loader

    data = aggregate.aggregate(loader.iter_entries([share_dir]))
    ranking = [(f.id, sorted(f.students)) for f in data.faults]
    assert ranking[0] == ("repo.ref", sorted([users["ben"], users["cat"]]))
    assert ("sdk.tools", [users["cat"]]) in ranking
    html = page.read_text()
    assert "git checkout" in html and users["dan"] in html  # the fix to announce; the missing student

    rc, out, err = cli("class", "accounts", str(roster), "--platform", "graphcore", "--group", group, "--json")
    import json

    accounts = json.loads(out)
    assert {a["user"] for a in accounts["accounts"]} == set(users.values())
