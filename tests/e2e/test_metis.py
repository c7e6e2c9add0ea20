"""Metis end to end on a simulated node: real virtualenv, real pip installing the real openai and
globus_sdk wheels offline, the guide's helper fetched from the node's copy, the stand-in endpoint
on 127.0.0.1, the reference client run with the real openai package."""
from __future__ import annotations

import json
from typing import Any, Callable

import pytest

pytestmark = pytest.mark.slow

Cli = Callable[..., "tuple[int, str, str]"]


def check_json(cli: Cli, root: Any, *extra: str) -> dict[str, dict[str, Any]]:
    rc, out, err = cli("check", "metis", "--target", "sim", "--sim-root", str(root), "--json", *extra)
    report = json.loads(out)
    assert report["exit_code"] == rc
    return {c["id"]: c for c in report["checks"]}


def run_json(cli: Cli, root: Any, *sets: str) -> tuple[int, dict[str, Any]]:
    args = [a for s in sets for a in ("--set", s)]
    rc, out, err = cli("run", "metis", "chat", "--target", "sim", "--sim-root", str(root), "--json", *args)
    return rc, json.loads(out)


def test_fresh_node_setup_check_and_runs(metis_wheels: Any, sim_node: Any, cli: Cli) -> None:
    node = sim_node("metis")
    root = node.root
    before = check_json(cli, root)
    assert before["venv.exists"]["status"] == "fail"
    assert before["inference.token"]["status"] == "fail"
    assert "python inference_auth_token.py authenticate" in before["inference.token"]["commands"]
    assert before["inference.endpoint"]["status"] == "ok"  # the service answers (401 with no token)

    rc, out, err = cli("setup", "metis", "--target", "sim", "--sim-root", str(root), "--plan")
    assert rc == 0
    assert ("cd ~/metis && wget https://raw.githubusercontent.com/argonne-lcf/inference-endpoints/refs/heads/main/"
            "inference_auth_token.py") in out
    assert "pip install openai globus_sdk" in out

    rc, out, err = cli("setup", "metis", "--target", "sim", "--sim-root", str(root), "--yes")
    assert rc == 0, out + err
    helper = node.home + "/metis/inference_auth_token.py"
    assert "def get_access_token" in open(helper, encoding="utf-8").read()

    after = check_json(cli, root)
    assert {i: c["status"] for i, c in after.items() if c["status"] not in ("ok", "skip")} == {}
    for cid in ("packages.required", "inference.token", "inference.endpoint", "inference.model", "inference.chat"):
        assert after[cid]["status"] == "ok", after[cid]
    assert check_json(cli, root, "--offline")["inference.endpoint"]["status"] == "skip"

    rc_small, small = run_json(cli, root, "max_tokens=16", "stream=true")  # server-sent events
    rc_big, big = run_json(cli, root, "max_tokens=400")
    assert rc_small == rc_big == 0
    for rec in (small, big):
        assert rec["status"] == "ok"
        assert rec["metrics"]["requests"] == 3.0
    assert small["metrics"]["completion_tokens"] == 48.0 and big["metrics"]["completion_tokens"] == 1200.0
    assert big["metrics"]["latency_s"] > small["metrics"]["latency_s"]
    assert big["metrics"]["tokens_per_sec"] != small["metrics"]["tokens_per_sec"]


def test_parameters_out_of_range_or_unknown_are_refused(cli: Cli) -> None:
    for bad, says in (("model=gpt-oss-120b-131072", "is not one of"), ("temperature=2.5", "above the maximum"),
                      ("max_tokens=0", "below the minimum"), ("top_p=0.1", "no parameter")):
        rc, out, err = cli("run", "metis", "chat", "--set", bad)
        assert rc == 2 and says in err, (bad, err)


def test_sim_lists_the_inference_faults(cli: Cli, tmp_path: Any) -> None:
    rc, out, err = cli("sim", "faults", "metis")
    assert rc == 0 and {"token-missing", "token-expired", "model-unavailable", "rate-limited"} <= set(out.split())
    rc, out, err = cli("sim", "create", "metis", "--root", str(tmp_path / "n"), "--fault", "token-expird")
    assert rc == 2 and "token-expired" in err and not (tmp_path / "n").exists()


FAULTS = {
    # fault: (check that finds it, status, a fix command, the explain entry of the run's error)
    "token-missing": ("inference.token", "fail", "python inference_auth_token.py authenticate", "inference.login-in-batch"),
    "token-expired": ("inference.token", "fail", "python inference_auth_token.py authenticate --force",
                      "inference.reauth-required"),
    "model-unavailable": ("inference.model", "fail", "envdoctor run metis chat --set model=Mistral-Large-3-675B-Instruct-2512",
                          "inference.model-not-found"),
    "rate-limited": ("inference.chat", "fail", "sleep 60 && envdoctor run metis chat --set requests=1",
                     "inference.rate-limited"),
}
TOKENS = ".globus/app/58fdd3bc-e1c3-4ce5-80ea-8d6b87cfb944/inference_app/tokens.json"


@pytest.fixture(scope="module")
def ready_node(metis_wheels: Any, node_store: Any) -> Any:
    """One node set up as the course does (--ready); each test plants its fault on it, then undoes it."""
    return node_store.node("metis", ready=True)


def _plant(target: Any, fault: str) -> Callable[[], None]:
    """Plant `fault` with the same function `sim create --fault` uses; returns the undo."""
    from pathlib import Path

    from envdoctor.recipe import catalog
    from envdoctor.targets.sim import faults
    from envdoctor.targets.sim.node import SimNode

    root = Path(target.root)
    meta = json.loads((root / "sim.json").read_text(encoding="utf-8"))
    node = SimNode(root, catalog().get("metis"), meta)
    saved = {p: p.read_bytes() for p in (root / "var/inference/state.json", Path(target.home) / TOKENS)}
    next(f for f in faults.FAULTS if f.name == fault).apply(node)

    def undo() -> None:
        for path, data in saved.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    return undo


def _finds(cli: Cli, target: Any, fault: str) -> None:
    """check names the fault with its fix; the run fails and explain names its cause; no token leaks."""
    cid, status, command, entry = FAULTS[fault]
    results = check_json(cli, target.root)
    assert results[cid]["status"] == status, results[cid]
    assert command in results[cid]["commands"]
    tokens = __import__("pathlib").Path(target.home) / TOKENS
    if tokens.exists():
        token = json.loads(tokens.read_text())["data"]["DEFAULT"]["681c10cc-f684-4540-bcd7-0b4df3bc26ef"]["access_token"]
        assert token not in json.dumps(results)
    rc, out, err = cli("run", "metis", "chat", "--target", "sim", "--sim-root", str(target.root), "--no-check", "--json")
    record = json.loads(out)
    assert rc == 1 and record["status"] != "ok"
    rc, out, err = cli("explain", record["log"], "--json")
    findings = json.loads(out)["findings"]
    assert findings and findings[0]["fault"] == entry, findings


@pytest.mark.parametrize("fault", ["token-missing", "model-unavailable", "rate-limited"])
def test_check_finds_each_planted_fault_and_explain_reads_the_run(fault: str, ready_node: Any, cli: Cli) -> None:
    assert check_json(cli, ready_node.root)[FAULTS[fault][0]]["status"] == "ok"
    undo = _plant(ready_node, fault)
    try:
        _finds(cli, ready_node, fault)
    finally:
        undo()


def test_sim_create_token_expired_then_setup_repairs_it(metis_wheels: Any, sim_node: Any, cli: Cli) -> None:
    node = sim_node("metis", faults=["token-expired"])
    _finds(cli, node, "token-expired")
    assert check_json(cli, node.root)["inference.endpoint"]["status"] == "fail"
    rc, out, err = cli("setup", "metis", "--target", "sim", "--sim-root", str(node.root), "--yes")
    assert rc == 0, out + err
    after = check_json(cli, node.root)
    assert [after[c]["status"] for c in ("inference.token", "inference.endpoint", "inference.chat")] == ["ok"] * 3
