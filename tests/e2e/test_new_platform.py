"""A platform is data: tests/platforms/acme/ (a recipe and its simulated node's payload, nothing
else) is put on $ENVDOCTOR_RECIPE_PATH, and the installed command line, in subprocesses, takes
it through everything a shipped platform gets, with no change to envdoctor/:

platforms -> recipe validate -> sim faults -> sim create (vendor tool, stand-in wheel, simulated
upstream from the recipe's `sim:`) -> check (fails, with fixes) -> setup (real venv, real pip from
the node's wheelhouse, real git clone) -> check (healthy) -> run (through the node's PBS
stand-in, metrics from an existing parser) -> class report -> explain --platform acme (with the
fault entries the recipe's `knowledge:` names).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ACME = Path(__file__).resolve().parents[1] / "platforms" / "acme"


def _env(tmp_path: Path, recipe_path: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ENVDOCTOR_RECIPE_PATH", "ENVDOCTOR_RECIPES")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")  # run records stay in the test's directory
    if recipe_path:
        env["ENVDOCTOR_RECIPE_PATH"] = str(ACME)
    return env


def envdoctor(env: dict[str, str], *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "envdoctor", *argv], capture_output=True, text=True, input=stdin,
                          env=env, timeout=600)


def _failing(report: dict) -> dict[str, dict]:
    return {c["id"]: c for c in report["checks"] if c["status"] in ("fail", "error")}


def test_acme_platform_from_recipe_path_end_to_end(tmp_path: Path) -> None:
    env = _env(tmp_path)
    root = tmp_path / "node"
    sim = ("--target", "sim", "--sim-root", str(root))

    listed = envdoctor(env, "platforms")
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[:2] == ["acme", "1.4"] for line in listed.stdout.splitlines()), listed.stdout

    valid = envdoctor(env, "recipe", "validate", str(ACME / "acme.yaml"))
    assert valid.returncode == 0 and "ok (acme 1.4" in valid.stdout, valid.stderr

    faults = envdoctor(env, "sim", "faults", "acme")
    # repo-wrong-tag needs the simulated upstream's older tag (v0.9), user-site-shadowing a second
    # acme-sdk version in the wheelhouse: both come from the recipe's `sim:` section only.
    assert faults.returncode == 0 and {"env-missing", "repo-wrong-tag", "user-site-shadowing"} <= set(
        faults.stdout.split()), faults.stdout + faults.stderr

    made = envdoctor(env, "sim", "create", "acme", "--root", str(root))
    assert made.returncode == 0, made.stderr
    meta = json.loads((root / "sim.json").read_text())
    assert meta["platform"] == "acme" and meta["hostname"] == "acme-node-01"
    assert os.access(root / "opt/acme/bin/acme-smi", os.X_OK)  # sim/common/ of the payload beside the recipe
    wheels = sorted(p.name for p in (root / "wheelhouse").glob("acme_sdk-*.whl"))
    assert wheels == ["acme_sdk-1.3.0-py3-none-any.whl", "acme_sdk-1.4.0-py3-none-any.whl"]
    bare = root / "upstreams/acme-example/bench.git"
    tags = subprocess.run(["git", "--git-dir", str(bare), "tag"], capture_output=True, text=True, check=True).stdout
    assert tags.split() == ["v0.9", "v1.0"]
    assert f"{root}/opt/acme/bin" in (root / "etc/bashrc").read_text()  # sim.bin_dirs on the node's PATH

    before = envdoctor(env, "check", "acme", *sim, "--json")
    assert before.returncode == 1, before.stderr
    failing = _failing(json.loads(before.stdout))
    assert {"venv.exists", "repo.cloned"} <= set(failing), sorted(failing)
    assert any("git clone https://github.com/acme-example/bench.git" in c for c in failing["repo.cloned"]["commands"])
    assert any("/usr/bin/python3.11 -m venv ~/venvs/acme" in c for c in failing["venv.exists"]["commands"])

    setup = envdoctor(env, "setup", "acme", *sim, "--yes")
    assert setup.returncode == 0, setup.stderr[-3000:] + setup.stdout[-3000:]
    installed = subprocess.run([str(root / "home" / meta["user"] / "venvs/acme/bin/python"), "-c",
                                "import acme_sdk; print(acme_sdk.__version__, acme_sdk.device())"],
                               capture_output=True, text=True, timeout=60)
    assert installed.stdout.split() == ["1.4.0", "acme0"], installed.stderr

    after = envdoctor(env, "check", "acme", *sim, "--json")
    report = json.loads(after.stdout)
    assert after.returncode == 0 and not _failing(report), _failing(report)
    assert {c["id"]: c["status"] for c in report["checks"]}["sdk.tools"] == "ok"  # acme-smi --version

    ran = envdoctor(env, "run", "acme", "bench", "--set", "steps=30", *sim, "--json")
    assert ran.returncode == 0, ran.stderr[-3000:]
    record = json.loads(ran.stdout)
    assert record["status"] == "ok" and record["launcher"] == "pbs", record
    assert record["job_id"].endswith(".acme-pbs01")  # the node's PBS stand-in, named by sim.pbs_server
    assert record["params"]["steps"] == 30 and all(s["ok"] for s in record["sanity"])
    assert record["metrics"]["throughput"] > 0 and "loss" in record["metrics"], record["metrics"]
    log = Path(record["log"]).read_text()
    assert log.count(", loss: ") == 30 and "acme device acme0" in log

    share = tmp_path / "share"
    share.mkdir()
    (share / "student.acme.json").write_text(after.stdout)
    klass = envdoctor(env, "class", "report", str(share), "--csv", str(tmp_path / "class.csv"))
    assert klass.returncode == 0, klass.stdout + klass.stderr
    assert "1 platform (acme)" in klass.stdout and "1 ok" in klass.stdout, klass.stdout
    assert "acme" in (tmp_path / "class.csv").read_text()

    crash = "Traceback (most recent call last):\nModuleNotFoundError: No module named 'acme_sdk'\n"
    explained = envdoctor(env, "explain", "--platform", "acme", "--json", "-", stdin=crash)
    assert explained.returncode == 0, explained.stderr
    findings = json.loads(explained.stdout)["findings"]  # the entry from the recipe's `knowledge:` file
    assert findings[0]["fault"] == "acme.sdk-missing" and "pip install acme-sdk==1.4.0" in findings[0]["commands"]


def test_a_ready_node_with_a_fault_from_the_recipes_data(tmp_path: Path) -> None:
    """`--ready` follows the recipe's steps; `repo-wrong-tag` checks out the simulated upstream's
    older tag (v0.9, from `sim.upstreams`): check names exactly that, with the fix."""
    env = _env(tmp_path)
    root = tmp_path / "node"
    made = envdoctor(env, "sim", "create", "acme", "--root", str(root), "--ready", "--fault", "repo-wrong-tag")
    assert made.returncode == 0, made.stderr
    done = envdoctor(env, "check", "acme", "--target", "sim", "--sim-root", str(root), "--json")
    failing = _failing(json.loads(done.stdout))
    assert done.returncode == 1 and set(failing) == {"repo.ref"}, failing
    assert "tag v0.9" in failing["repo.ref"]["why"] and "v1.0" in failing["repo.ref"]["why"]
    assert any("git checkout v1.0" in c or "git -C" in c and "v1.0" in c for c in failing["repo.ref"]["commands"]), \
        failing["repo.ref"]["commands"]


def test_without_the_recipe_path_acme_is_unknown(tmp_path: Path) -> None:
    """What made acme known is the recipe path, nothing in envdoctor/."""
    env = _env(tmp_path, recipe_path=False)
    for argv in (("sim", "create", "acme", "--root", str(tmp_path / "node")), ("explain", "--platform", "acme", "-")):
        done = envdoctor(env, *argv, stdin="")
        assert done.returncode == 2 and "unknown platform 'acme'" in done.stderr, (argv, done.stderr)
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "node").exists()


def test_a_bad_recipe_path_or_sim_section_is_one_line_exit_2(tmp_path: Path) -> None:
    env = _env(tmp_path, recipe_path=False)
    env["ENVDOCTOR_RECIPE_PATH"] = str(tmp_path / "nowhere")
    done = envdoctor(env, "platforms")
    assert done.returncode == 2 and "ENVDOCTOR_RECIPE_PATH" in done.stderr and "nowhere" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr

    bad = tmp_path / "recipes"
    bad.mkdir()
    text = (ACME / "acme.yaml").read_text().replace("payload: sim", "payload: no-such-dir")
    (bad / "acme.yaml").write_text(text)
    env["ENVDOCTOR_RECIPE_PATH"] = str(bad)
    done = envdoctor(env, "platforms")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert str(bad / "acme.yaml") in done.stderr and "sim.payload" in done.stderr and "no-such-dir" in done.stderr

    (bad / "acme.yaml").write_text((ACME / "acme.yaml").read_text().replace("metrics: graphcore", "metrics: acmeparse"))
    done = envdoctor(env, "platforms")
    assert done.returncode == 2 and "runs.bench.metrics" in done.stderr and "acmeparse" in done.stderr, done.stderr

    (bad / "acme.yaml").write_text((ACME / "acme.yaml").read_text())  # payload: sim is now missing beside it
    done = envdoctor(env, "platforms")
    assert done.returncode == 2 and "sim.payload" in done.stderr, done.stderr

    (bad / "acme.yaml").unlink()
    (bad / "groq.yaml").write_text((Path(__file__).resolve().parents[2] / "envdoctor/recipes/groq.yaml").read_text())
    done = envdoctor(env, "platforms")
    assert done.returncode == 2 and "also defined in" in done.stderr, done.stderr
