"""Metis pieces without a node: the token file reading, the token check's verdicts, the fetch and
inference-auth steps on a hand-made home."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from envdoctor.errors import StepFailed
from envdoctor.probe import Probe
from envdoctor.recipe import catalog
from envdoctor.results import Status
from envdoctor.steps.base import Context, NoProgress
from envdoctor.targets import RealTarget, SimTarget, Target

TOKENS = ".globus/app/58fdd3bc-e1c3-4ce5-80ea-8d6b87cfb944/inference_app/tokens.json"
RS = "681c10cc-f684-4540-bcd7-0b4df3bc26ef"
SECRET = "AgSECRETSECRETSECRET0123456789"


def write_tokens(home: Path, expires_in_hours: float) -> None:
    path = home / TOKENS
    path.parent.mkdir(parents=True)
    record = {"resource_server": RS, "identity_id": "x", "scope": "s", "access_token": SECRET,
              "refresh_token": "AgREFRESH", "expires_at_seconds": int(time.time() + expires_in_hours * 3600),
              "token_type": "Bearer"}
    path.write_text(json.dumps({"data": {"DEFAULT": {RS: record}}, "format_version": "2.0",
                                "globus-sdk.version": "4.10.0"}), encoding="utf-8")
    path.chmod(0o600)


def home_target(tmp_path: Path, **meta: Any) -> Target:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    if meta:
        return SimTarget(str(home), "jdoe", "laptop", str(tmp_path), meta)
    return RealTarget(str(home), "jdoe", "laptop")


def token_outcome(target: Target) -> Any:
    from envdoctor.checks.inference import token
    from envdoctor.collectors.inference import InferenceFacts, token_facts

    recipe = catalog().get("metis")
    facts = {"inference": InferenceFacts(token=token_facts(target, recipe), online="--offline")}
    return token(Probe("real", "metis", recipe.release, facts), recipe)


@pytest.mark.parametrize("hours, status, says", [
    (40, Status.OK, "valid"),
    (-30, Status.WARN, "refreshes it"),  # issued 78 h ago: within the 7 days, get_access_token refreshes
    (-7 * 24, Status.FAIL, "every 7 days"),  # issued 9 days ago
])
def test_token_verdicts(tmp_path: Path, hours: float, status: Status, says: str) -> None:
    target = home_target(tmp_path)
    write_tokens(Path(target.home), hours)
    outcome = token_outcome(target)
    assert outcome.status == status
    assert says in outcome.why + " ".join(outcome.evidence)
    assert SECRET not in json.dumps([outcome.why, outcome.fix, outcome.commands, outcome.evidence])


def test_no_token_file_says_authenticate(tmp_path: Path) -> None:
    outcome = token_outcome(home_target(tmp_path))
    assert outcome.status == Status.FAIL
    assert outcome.commands[-1] == "python inference_auth_token.py authenticate"


def test_token_facts_never_hold_the_token(tmp_path: Path) -> None:
    from envdoctor.collectors.inference import token_facts

    target = home_target(tmp_path)
    write_tokens(Path(target.home), 10)
    facts = token_facts(target, catalog().get("metis"))
    assert facts.present and not facts.expired and not facts.world_readable
    assert SECRET not in json.dumps(facts.__dict__) and "AgREFRESH" not in json.dumps(facts.__dict__)


def ctx(target: Target) -> Context:
    return Context(catalog().get("metis"), target, dict(os.environ))


def step(step_id: str) -> Any:
    return next(s for s in catalog().get("metis").steps if s.id == step_id)


def test_fetch_bundled_client_is_written_and_backed_up(tmp_path: Path) -> None:
    from envdoctor.steps import fetch

    c, s = ctx(home_target(tmp_path)), step("fetch-client")
    assert "does not exist" in fetch.is_done(s, c)
    assert fetch.plan(s, c)[-1].kind == "diff"
    fetch.apply(s, c, NoProgress())
    dest = Path(c.target.home) / "metis/metis_chat.py"
    assert fetch.is_done(s, c) is None and "get_access_token()" in dest.read_text()
    dest.write_text("# my own edits\n")
    assert "differs" in fetch.is_done(s, c)
    fetch.apply(s, c, NoProgress())
    backups = list(dest.parent.glob("metis_chat.py.envdoctor-backup-*"))
    assert len(backups) == 1 and backups[0].read_text() == "# my own edits\n"


def test_fetch_url_plans_the_guides_wget_and_uses_the_nodes_copy(tmp_path: Path) -> None:
    from envdoctor.steps import fetch

    s = step("fetch-auth-helper")
    url = str(s.get("url"))
    copy = tmp_path / "copy.py"
    copy.write_text("def get_access_token():\n    return 'x'\n")
    target = home_target(tmp_path, upstreams={url: f"file://{copy}"}, mapped_roots=[])
    c = ctx(target)
    assert [a.text for a in fetch.plan(s, c)][-1] == f"cd ~/metis && wget {url}"
    fetch.apply(s, c, NoProgress())
    assert (Path(target.home) / "metis/inference_auth_token.py").read_text() == copy.read_text()


def test_inference_auth_on_a_real_machine_asks_the_person(tmp_path: Path) -> None:
    from envdoctor.steps import inference_auth

    c, s = ctx(home_target(tmp_path)), step("authenticate")
    assert "authenticate" in inference_auth.is_done(s, c)
    assert any(a.kind == "note" and "browser" in a.text for a in inference_auth.plan(s, c))
    with pytest.raises(StepFailed, match=r"python inference_auth_token.py authenticate"):
        inference_auth.apply(s, c, NoProgress())


def test_client_defaults_are_the_recipes() -> None:
    """Only --set parameters are passed as flags, so the client's own defaults must be the recipe's."""
    import ast

    from envdoctor.steps.fetch import bundled_path

    tree = ast.parse(bundled_path("metis_chat.py").read_text(encoding="utf-8"))
    defaults = {}
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "add_argument"):
        flag = ast.literal_eval(call.args[0])
        kw = {k.arg: k.value for k in call.keywords}
        defaults[flag] = ast.literal_eval(kw["default"]) if "default" in kw else \
            (False if "action" in kw and ast.literal_eval(kw["action"]) == "store_true" else None)
    run = catalog().get("metis").run("chat")
    assert {p.flag: p.default for p in run.params} == defaults


@pytest.mark.slow
def test_facts_of_a_real_node_round_trip_through_json(metis_wheels: Any, sim_node: Any) -> None:
    """Collected from a --ready Metis node, online against its stand-in endpoint on 127.0.0.1."""
    from envdoctor.collectors.inference import Answer, InferenceFacts, TokenFacts, collect_inference
    from envdoctor.probe import ProbeContext

    node = sim_node("metis", ready=True)
    recipe = catalog().get("metis")
    facts = collect_inference(ProbeContext(node, recipe))
    assert isinstance(facts.token, TokenFacts) and facts.token.present and not facts.token.expired
    assert isinstance(facts.list, Answer) and facts.list.ok and facts.list.status == 200
    assert facts.models is not None and facts.model in facts.models
    assert facts.chat is not None and facts.chat.ok
    assert InferenceFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts
    offline = collect_inference(ProbeContext(node, recipe, offline=True))
    assert offline.online == "--offline" and offline.list is None and offline.chat is None
    assert InferenceFacts.from_json(json.loads(json.dumps(offline.to_json()))) == offline


def test_a_recipe_without_a_service_is_skipped() -> None:
    from envdoctor.collectors.inference import InferenceFacts, collect_inference
    from envdoctor.probe import ProbeContext

    recipe = catalog().get("groq")
    facts = collect_inference(ProbeContext(RealTarget("/nonexistent", "jdoe", "laptop"), recipe))
    assert facts == InferenceFacts(skipped="the recipe uses no inference service")


@pytest.mark.parametrize("body, models", [
    ({"clusters": {"metis": {"frameworks": {"api": {"models": ["b", "a"]}, "x": {"models": ["a"]}}}}}, ("a", "b")),
    ({"clusters": {"sophia": {"frameworks": {}}}}, None),  # another cluster only
    ({"clusters": []}, None),
    (None, None),  # not JSON
])
def test_models_of_a_listing(body: Any, models: Any) -> None:
    from envdoctor.collectors.inference import models_of

    assert models_of(body, "metis") == models


@pytest.mark.parametrize("body, parsed", [
    ({"error": {"code": "endpoint_not_found", "message": "no such model"}}, ("endpoint_not_found", "no such model")),
    ({"detail": "Permission denied"}, ("", "Permission denied")),
    ({"error": "Too many requests"}, ("", "Too many requests")),
    ("<html>bad gateway</html>", ("", "")),
])
def test_error_bodies_of_the_gateway(body: Any, parsed: Any) -> None:
    from envdoctor.collectors.inference import _error

    assert _error(body) == parsed
