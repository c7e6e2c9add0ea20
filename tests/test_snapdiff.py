"""`envdoctor diff`: the real cause first; alice vs bob is not a difference; bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from snaphelp import leaked

from envdoctor import snapshot
from envdoctor.recipe import catalog
from envdoctor.snapdiff import compare, version_change


def _snap(home_node, user="alice", broken=()):
    return snapshot.build(home_node(user, broken=broken), catalog().get("graphcore"))


def _write(tmp_path: Path, name: str, snap: dict) -> Path:
    p = tmp_path / name
    p.write_text(snapshot.dumps(snap))
    return p


def test_version_change() -> None:
    assert version_change("2.17.1", "2.17.2") == "patch"
    assert version_change("3.3.0", "3.2.0") == "minor"
    assert version_change("1.0", "2.0") == "major"
    assert version_change("x", "1.0") == "other"


def test_same_setup_different_users_is_no_difference(home_node) -> None:
    a, b = _snap(home_node, "alice"), _snap(home_node, "bob")
    diffs, warnings = compare(a, b)
    keys = [d.key for d in diffs]
    # The only planted difference between the two homes: a pygments patch version.
    assert keys == ["packages.dists.Pygments"], keys
    assert warnings == []


@pytest.mark.parametrize("fault, first_key", [
    ("wrong-python", "interpreters.python3"),
    ("repo-wrong-tag", "repos.examples.ref"),
    ("poptorch-old", "packages.dists.poptorch"),
    ("no-env", "packages.env"),
    ("user-site", "packages.user_site"),
    ("proxy-missing", "proxy.https_proxy"),
])
def test_real_cause_first(home_node, fault: str, first_key: str) -> None:
    good, bad = _snap(home_node, "alice"), _snap(home_node, "bob", broken=(fault,))
    diffs, _ = compare(good, bad)
    assert diffs, "no differences found"
    assert diffs[0].key == first_key, [(d.key, d.meaning) for d in diffs[:5]]
    # a pygments patch release is always last among them
    pyg = [i for i, d in enumerate(diffs) if d.key == "packages.dists.Pygments"]
    if pyg:
        assert pyg[0] > 0


def test_diff_cli_json_and_text(home_node, cli, tmp_path: Path) -> None:
    a = _write(tmp_path, "good.json", _snap(home_node, "alice"))
    b = _write(tmp_path, "bad.json", _snap(home_node, "bob", broken=("repo-wrong-tag", "poptorch-old")))
    rc, out, err = cli("diff", str(a), str(b), "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "envdoctor/diff@1"
    first = doc["differences"][0]
    assert set(first) == {"key", "category", "a", "b", "meaning"}
    assert first["key"] == "packages.dists.poptorch" and first["a"] == "3.3.0" and first["b"] == "3.2.0"
    assert {d["key"] for d in doc["differences"][:3]} >= {"repos.examples.ref"}
    rc, text, err = cli("diff", str(a), str(b))
    assert rc == 0 and text.splitlines()[1].startswith("1. poptorch differs")
    assert leaked(out + text + err) == []


def test_different_platforms_warn_and_compare_common_parts(home_node, tmp_path: Path, cli) -> None:
    a = _snap(home_node, "alice")
    b = json.loads(json.dumps(a))
    b["platform"], b["release"] = "groq", "groqflow-py3.10"
    b["interpreters"]["python3"]["path"] = "/usr/bin/python3.6"
    b["interpreters"]["python3"]["realpath"] = "/usr/bin/python3.6"
    pa, pb = _write(tmp_path, "a.json", a), _write(tmp_path, "b.json", b)
    rc, out, err = cli("diff", str(pa), str(pb), "--json")
    assert rc == 0
    assert "different platforms (graphcore and groq)" in err
    doc = json.loads(out)
    assert doc["differences"][0]["key"] == "interpreters.python3"
    assert not any(d["key"].startswith(("packages.", "configs.")) for d in doc["differences"])


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"", "empty file"),
    (b"\x00\x01\x02binary", "binary file"),
    (b"{not json", "not JSON"),
    (b"\xff\xfe\xfa", "not UTF-8"),
    (b'{"schema": "envdoctor/check-report@1"}', "check report"),
    (b'[1, 2]', "not an envdoctor snapshot"),
    (b'{"schema": "envdoctor/snapshot@2", "envdoctor_version": "9.0.0"}', "newer envdoctor"),
    (b'{"schema": "envdoctor/snapshot@1", "envdoctor_version": "0.9.0", "shells": {}}', "newer envdoctor"),
])
def test_bad_input_one_line_exit_2(cli, tmp_path: Path, content, message) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"schema": "envdoctor/snapshot@1", "envdoctor_version": "0.1.0", "shells": {}}))
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_bytes(content)
    rc, out, err = cli("diff", str(bad), str(good))
    assert rc == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_diff_output_is_redacted_even_for_hand_edited_snapshots(cli, tmp_path: Path) -> None:
    from snaphelp import SECRETS

    base = {"schema": "envdoctor/snapshot@1", "envdoctor_version": "0.1.0", "shells": {}, "env": {}}
    a, b = dict(base), json.loads(json.dumps(base))
    b["env"] = {"PYTHONPATH": f"/x?token={SECRETS['github']}"}
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(json.dumps(a))
    pb.write_text(json.dumps(b))
    for flag in ((), ("--json",)):
        rc, out, err = cli("diff", str(pa), str(pb), *flag)
        assert rc == 0 and "PYTHONPATH" in out and leaked(out + err) == []
