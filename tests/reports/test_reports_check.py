"""Check-report renderers: terminal, JSON (design.md contract), JUnit."""
from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from envdoctor.reports import Style, json_report, junit, terminal
from envdoctor.results import CheckResult, Report, Status


def sample() -> Report:
    return Report("groq", "groqflow-py3.10", "sim", "groq-r01-gn-01", "run", (
        CheckResult("host.node-role", "host", "on a GroqRack node", Status.OK, evidence=("groq-r01-gn-01",)),
        CheckResult("conda.shell-init", "conda", "conda works in every shell", Status.FAIL,
                    why="~/miniconda3 exists but no startup file initialises conda",
                    fix="initialise conda for bash, then log in again",
                    commands=("source ~/miniconda3/bin/activate", "conda init bash"),
                    evidence=("login: conda not found",), duration_ms=12, step="shell-init"),
        CheckResult("network.reachable", "network", "hosts reachable", Status.SKIP, why="--offline"),
        CheckResult("network.proxy", "network", "proxy set", Status.WARN, why="https_proxy unset", fix="export it"),
    ), duration_ms=345, user="ann")


def test_json_follows_the_contract() -> None:
    data = json.loads(json_report.render(sample()))
    assert data["schema"] == "envdoctor/check-report@1"
    assert data["platform"] == "groq" and data["target"] == "sim"
    assert data["host"] == {"hostname": "groq-r01-gn-01", "node_role": "run"}
    assert data["exit_code"] == 1
    assert data["summary"] == {"ok": 1, "warn": 1, "fail": 1, "skip": 1, "error": 0}
    check = data["checks"][1]
    assert set(check) >= {"id", "category", "title", "status", "why", "fix", "commands", "evidence", "duration_ms"}
    assert check["commands"] == ["source ~/miniconda3/bin/activate", "conda init bash"]


def test_terminal_shows_why_fix_and_commands_without_colour() -> None:
    text = terminal.render(sample(), Style(color=False, unicode=True))
    assert "[✗] conda works in every shell" in text
    assert "why: ~/miniconda3 exists" in text and "$ conda init bash" in text
    assert "\033[" not in text
    assert text.rstrip().splitlines()[-1].startswith("problems found: 1 ok, 1 warn, 1 fail, 1 skip")


def test_terminal_ascii_fallback_and_colour() -> None:
    assert "[XX]" in terminal.render(sample(), Style(color=False, unicode=False))
    assert "\033[31m" in terminal.render(sample(), Style(color=True, unicode=True))


def test_junit_is_valid_xml_with_counts() -> None:
    root = ET.fromstring(junit.render(sample()))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("failures") == "1"
    names = [c.get("name") for c in suite.iter("testcase")]
    assert names == ["host.node-role", "conda.shell-init", "network.reachable", "network.proxy"]
    assert suite.find("testcase[@name='conda.shell-init']/failure").get("message").startswith("~/miniconda3")
