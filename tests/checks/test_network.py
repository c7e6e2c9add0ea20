"""network.reachable on typed network facts (the real HTTP requests: tests/collectors/test_network.py)."""
from __future__ import annotations

from envhelpers import recipe

from envdoctor.checks.network import reachable
from envdoctor.collectors.network import NetworkFacts, Reach
from envdoctor.probe import Probe
from envdoctor.results import Status

PROXY = "http://proxy.alcf.anl.gov:3128"


def verdict(facts: NetworkFacts, platform: str = "cerebras"):
    rec = recipe(platform)
    return reachable(Probe("real", rec.platform, rec.release, {"network": facts}), rec)


def test_all_reachable_names_status_time_and_proxy() -> None:
    out = verdict(NetworkFacts(hosts={"pypi.org": Reach("https://pypi.org/", PROXY, True, 200, ms=41)}))
    assert out.status is Status.OK and out.evidence == (f"pypi.org: HTTP 200 in 41 ms via {PROXY}",)


def test_unreachable_without_a_proxy_suggests_the_alcf_proxy() -> None:
    facts = NetworkFacts(hosts={"github.com": Reach("https://github.com/", "", error="connection timed out"),
                                "pypi.org": Reach("https://pypi.org/", "", True, 200, ms=12)})
    out = verdict(facts)
    assert out.status is Status.FAIL and "github.com (connection timed out)" in out.why and "(no proxy set)" in out.why
    assert out.commands[0].startswith("export https_proxy=") and out.commands[-1].startswith("curl -sSI https://github.com/")
    assert out.evidence == ("pypi.org: HTTP 200 in 12 ms",)


def test_through_a_proxy_and_skipped() -> None:
    facts = NetworkFacts(hosts={"pypi.org": Reach("https://pypi.org/", PROXY, error="proxy error: 403")})
    out = verdict(facts)
    assert out.status is Status.FAIL and f"through the proxy {PROXY}" in out.why
    assert not any(c.startswith("export") for c in out.commands)
    assert verdict(NetworkFacts("--offline")).status is Status.SKIP
