"""Network facts: can the hosts the recipe needs be reached (through the proxy, if any)?

Skipped with --offline and on simulated nodes (which never touch the network). One short
HEAD request per host, all at once; any HTTP answer counts as reachable.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from envdoctor.collectors.host import redact_url
from envdoctor.probe import ProbeContext, collector


def probe_host(host: str, timeout: float) -> dict[str, Any]:
    import requests

    url = host if "://" in host else f"https://{host}/"
    proxies = requests.utils.get_environ_proxies(url)
    facts: dict[str, Any] = {"url": url, "proxy": redact_url(proxies.get("https", proxies.get("all", ""))),
                             "ok": False, "status": None, "error": ""}
    t0 = time.monotonic()
    try:
        with requests.Session() as s:
            r = s.head(url, timeout=(min(timeout, 3.0), timeout), allow_redirects=False)
        facts["ok"], facts["status"] = True, r.status_code
    except requests.exceptions.ProxyError as exc:
        facts["error"] = f"proxy error: {_short(exc)}"
    except requests.exceptions.SSLError as exc:
        facts["error"] = f"TLS error (proxy intercepting, or CA bundle?): {_short(exc)}"
    except requests.exceptions.ConnectTimeout:
        facts["error"] = "connection timed out"
    except requests.exceptions.ReadTimeout:
        facts["error"] = "no answer in time"
    except requests.exceptions.ConnectionError as exc:
        facts["error"] = f"cannot connect: {_short(exc)}"
    except Exception as exc:  # noqa: BLE001 - any failure is a fact about this host
        facts["error"] = f"{type(exc).__name__}: {_short(exc)}"
    facts["ms"] = int((time.monotonic() - t0) * 1000)
    return facts


def _short(exc: BaseException) -> str:
    text = redact_url(str(exc))
    return text if len(text) < 200 else text[:197] + "..."


@collector("network")
def collect_network(ctx: ProbeContext) -> dict[str, Any]:
    hosts = ctx.recipe.network
    if ctx.offline:
        return {"skipped": "--offline", "hosts": {}}
    if ctx.target.root:
        return {"skipped": "a simulated node never uses the network", "hosts": {}}
    if not hosts:
        return {"skipped": "", "hosts": {}}
    with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        results = dict(zip(hosts, pool.map(lambda h: probe_host(h, min(ctx.timeout, 4.0)), hosts)))
    return {"skipped": "", "hosts": results}
