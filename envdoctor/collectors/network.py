"""Network facts: can the hosts the recipe needs be reached (through the proxy, if any)?

Skipped with --offline and on simulated nodes (which never touch the network). One short
HEAD request per host, all at once; any HTTP answer counts as reachable.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, Optional

from envdoctor.collectors.host import redact_url
from envdoctor.facts import Facts
from envdoctor.probe import ProbeContext, collector


@dataclass(frozen=True)
class Reach:
    """One HEAD request: any HTTP answer (`status`) counts as reachable."""

    url: str
    proxy: str  # the proxy requests chose for the URL, credentials redacted ("" when none)
    ok: bool = False
    status: Optional[int] = None
    error: str = ""
    ms: int = 0


@dataclass(frozen=True)
class NetworkFacts(Facts):
    """Whether the hosts the course needs answer, through the proxy."""

    skipped: str = ""  # why the hosts were not probed ("" when they were)
    hosts: Dict[str, Reach] = field(default_factory=dict)  # recipe host -> its answer


def probe_host(host: str, timeout: float) -> Reach:
    import requests  # lazy: requests (~60 ms) only when the network is asked (not --offline)

    url = host if "://" in host else f"https://{host}/"
    proxies = requests.utils.get_environ_proxies(url)
    proxy = redact_url(proxies.get("https", proxies.get("all", "")))
    status, error = None, ""
    t0 = time.monotonic()
    try:
        with requests.Session() as s:
            status = s.head(url, timeout=(min(timeout, 3.0), timeout), allow_redirects=False).status_code
    except requests.exceptions.ProxyError as exc:
        error = f"proxy error: {_short(exc)}"
    except requests.exceptions.SSLError as exc:
        error = f"TLS error (proxy intercepting, or CA bundle?): {_short(exc)}"
    except requests.exceptions.ConnectTimeout:
        error = "connection timed out"
    except requests.exceptions.ReadTimeout:
        error = "no answer in time"
    except requests.exceptions.ConnectionError as exc:
        error = f"cannot connect: {_short(exc)}"
    except Exception as exc:  # noqa: BLE001 - any failure is a fact about this host
        error = f"{type(exc).__name__}: {_short(exc)}"
    return Reach(url, proxy, ok=status is not None, status=status, error=error,
                 ms=int((time.monotonic() - t0) * 1000))


def _short(exc: BaseException) -> str:
    text = redact_url(str(exc))
    return text if len(text) < 200 else text[:197] + "..."


@collector("network", NetworkFacts)
def collect_network(ctx: ProbeContext) -> NetworkFacts:
    hosts = ctx.recipe.network
    if ctx.offline:
        return NetworkFacts(skipped="--offline")
    lacking = ctx.target.lacks("network")
    if lacking:
        return NetworkFacts(skipped=lacking)
    if not hosts:
        return NetworkFacts()
    with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        results = dict(zip(hosts, pool.map(lambda h: probe_host(h, min(ctx.timeout, 4.0)), hosts)))
    return NetworkFacts(hosts=results)
