"""envdoctor.collectors.network: real HEAD requests to a local HTTP server, typed and round-tripped."""
from __future__ import annotations

import dataclasses
import http.server
import json
import socket
import threading
from typing import Iterator

import pytest
from envhelpers import recipe

from envdoctor.collectors.network import NetworkFacts, Reach, collect_network, probe_host
from envdoctor.probe import ProbeContext
from envdoctor.targets import real

PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture
def http_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_probe_host_real_http(http_server: str, no_proxy: None) -> None:
    good = probe_host(http_server, 2.0)
    assert good.ok and good.status in (200, 501) and good.error == "" and good.proxy == ""
    bad = probe_host(f"http://127.0.0.1:{closed_port()}/", 1.0)
    assert not bad.ok and bad.status is None and "cannot connect" in bad.error


def test_a_proxy_with_credentials_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("HTTPS_PROXY", f"http://ada:hunter2@127.0.0.1:{closed_port()}")
    reach = probe_host("pypi.org", 1.0)
    assert not reach.ok and reach.url == "https://pypi.org/"
    assert reach.proxy.startswith("http://ada:***@127.0.0.1:") and "proxy error" in reach.error
    assert "hunter2" not in json.dumps(reach.__dict__)


def test_collected_hosts_round_trip_through_json(http_server: str, no_proxy: None) -> None:
    down = f"http://127.0.0.1:{closed_port()}/"
    rec = dataclasses.replace(recipe("groq"), network=(http_server, down))
    facts = collect_network(ProbeContext(real(), rec, timeout=2.0))
    assert facts.skipped == "" and set(facts.hosts) == {http_server, down}
    assert facts.hosts[http_server].ok and not facts.hosts[down].ok
    assert NetworkFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts


def test_offline_and_simulated_nodes_are_not_probed(sim_node) -> None:
    node = sim_node("groq")
    assert collect_network(ProbeContext(node, recipe("groq"), offline=True)) == NetworkFacts("--offline")
    facts = collect_network(ProbeContext(node, recipe("groq")))
    assert facts.hosts == {} and "simulated" in facts.skipped
    assert NetworkFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts
    assert collect_network(ProbeContext(real(), recipe("groq", network=()))) == NetworkFacts()  # nothing to reach


def test_a_recorded_answer_loads_with_its_types() -> None:
    data = {"skipped": "", "hosts": {"pypi.org": {"url": "https://pypi.org/", "proxy": "", "ok": True, "status": 200,
                                                  "error": "", "ms": 41}}}
    assert NetworkFacts.from_json(data).hosts["pypi.org"] == Reach("https://pypi.org/", "", True, 200, "", 41)
