"""`class accounts` against real local users and groups, and a real single-node Slurm."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from envdoctor.classroom import accounts, roster
from envdoctor.recipe import catalog


def _roster(tmp_path: Path, users: list[str], extra: str = "") -> Path:
    p = tmp_path / "roster.csv"
    p.write_text("user,name\r\n" + "".join(f"{u},Student {u}\r\n" for u in users) + extra, encoding="utf-8")
    return p


def _by_user(results):
    return {r.user: {c.id: c for c in r.checks} for r in results}


def test_accounts_on_cerebras(local_accounts, tmp_path: Path, cli) -> None:
    course = local_accounts.group("crs")
    ready = local_accounts.user("ok", groups=(course,), home_mode=0o711)
    closed = local_accounts.user("cl", groups=(course,), home_mode=0o700)   # Cerebras needs chmod a+x ~
    outsider = local_accounts.user("out", home_mode=0o755)                   # not in the project group
    homeless = local_accounts.user("nh", groups=(course,), make_home=False)
    ghost = local_accounts.name("ghost")                                     # on the roster, no account
    path = _roster(tmp_path, [ready, closed, outsider, homeless, ghost], f"{ready},again\r\n")
    res = _by_user(accounts.check_accounts(roster.load(path), catalog().get("cerebras"), group=course))

    assert {c.status.value for c in res[ready].values()} == {"ok"}
    assert res[closed]["account.home"].status.value == "fail"
    assert f"chmod a+x {local_accounts.base}/home/{closed}" in res[closed]["account.home"].commands
    assert res[outsider]["account.group"].commands == (f"usermod -aG {course} {outsider}",)
    assert res[outsider]["account.home"].status.value == "ok"
    assert res[homeless]["account.home"].status.value == "fail" and "does not exist" in res[homeless]["account.home"].why
    assert list(res[ghost]) == ["account.exists"] and res[ghost]["account.exists"].status.value == "fail"

    rc, out, err = cli("class", "accounts", str(path), "--platform", "cerebras", "--group", course, "--json")
    assert rc == 1, err
    data = json.loads(out)
    assert data["schema"] == "envdoctor/class-accounts@1" and data["home_access"] == "a+x"
    assert {a["user"]: a["status"] for a in data["accounts"]} == {
        ready: "ok", closed: "fail", outsider: "fail", homeless: "fail", ghost: "fail"}
    assert data["roster_problems"][0]["problem"].startswith("duplicate of line 2")

    rc, out, _ = cli("class", "accounts", str(path), "--platform", "cerebras", "--group", course)
    assert rc == 1 and f"usermod -aG {course} {outsider}" in out and "1 ready, 4 not ready" in out


def test_other_platforms_need_only_the_owner_bit(local_accounts, tmp_path: Path) -> None:
    user = local_accounts.user("gc", home_mode=0o700)
    res = _by_user(accounts.check_accounts(roster.load(_roster(tmp_path, [user])), catalog().get("groq")))
    assert res[user]["account.home"].status.value == "ok"
    assert "account.slurm" not in res[user]  # Groq is PBS


def test_missing_group_is_reported(local_accounts, tmp_path: Path) -> None:
    user = local_accounts.user("mg")
    res = _by_user(accounts.check_accounts(roster.load(_roster(tmp_path, [user])), catalog().get("groq"),
                                           group=local_accounts.name("nogrp")))
    assert "does not exist" in res[user]["account.group"].why


@pytest.mark.slurm
def test_slurm_partition_access(local_accounts, slurm_env, tmp_path: Path, cli) -> None:
    course = local_accounts.group("sl")
    member = local_accounts.user("in", groups=(course,))
    stranger = local_accounts.user("st")
    part = local_accounts.name("part")
    subprocess.run(["scontrol", "create", f"PartitionName={part}", "Nodes=ALL", f"AllowGroups={course}", "State=UP"],
                   env=slurm_env, check=True, capture_output=True)
    try:
        path = _roster(tmp_path, [member, stranger])
        res = _by_user(accounts.check_accounts(roster.load(path), catalog().get("sambanova"), partition=part,
                                               env=slurm_env))
        assert res[member]["account.slurm"].status.value == "ok", res[member]["account.slurm"]
        bad = res[stranger]["account.slurm"]
        assert bad.status.value == "fail" and "not permitted" in bad.why
        nowhere = _by_user(accounts.check_accounts(roster.load(path), catalog().get("sambanova"),
                                                   partition=local_accounts.name("nopart"), env=slurm_env))
        assert "partition" in nowhere[member]["account.slurm"].fix
        rc, out, err = cli("class", "accounts", str(path), "--platform", "sambanova", "--partition", part, "--json")
        assert rc == 1, err
        got = {a["user"]: {c["id"]: c["status"] for c in a["checks"]} for a in json.loads(out)["accounts"]}
        assert got[member]["account.slurm"] == "ok" and got[stranger]["account.slurm"] == "fail"
    finally:
        subprocess.run(["scontrol", "delete", f"PartitionName={part}"], env=slurm_env, capture_output=True)
