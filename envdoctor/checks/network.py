"""Network checks: proxy variables (both cases), and the hosts the recipe needs."""
from __future__ import annotations

import re

from envdoctor.checks import Outcome, check, fail, ok, skip, warn
from envdoctor.checks.host import login_env
from envdoctor.collectors.host import HostFacts
from envdoctor.collectors.network import NetworkFacts
from envdoctor.collectors.shells import ShellFacts
from envdoctor.probe import Probe
from envdoctor.recipe import Recipe, Variable

# The facts these checks read: `check` collects only what its selected checks need (a
# test runs every check on a probe cut down to these and expects the same result).
FACTS = (NetworkFacts, HostFacts, ShellFacts)

PROXY = re.compile(r"(?i)^(http|https|ftp|all)_proxy$")


def proxy_vars(recipe: Recipe) -> list[Variable]:
    return [v for v in recipe.variables if PROXY.match(v.name)]


@check("network.proxy", "network", "proxy variables are set (upper and lower case)", step="env-vars",
       applies=lambda r: bool(proxy_vars(r) or r.proxy))
def proxy(probe: Probe, recipe: Recipe) -> Outcome:
    login = login_env(probe)
    current = probe.of(HostFacts).current_env
    wanted = proxy_vars(recipe)
    contexts = [("a login shell", login)] + ([("your current shell", dict(current))] if current is not None else [])
    if not wanted:
        have = {k: v for k, v in login.items() if PROXY.match(k)}
        if recipe.proxy and any(v.rstrip("/") != recipe.proxy.rstrip("/") for v in have.values()):
            return warn(f"proxy variables point elsewhere than the ALCF proxy {recipe.proxy}: "
                        + ", ".join(f"{k}={v}" for k, v in have.items()),
                        "use the ALCF proxy, or unset the variables", [f"export https_proxy={recipe.proxy}"])
        return ok(f"the recipe needs no proxy variables ({'set: ' + ', '.join(have) if have else 'none set'})")
    problems, cmds, good, severe = [], [], [], False
    for var in wanted:
        for ctx_name, env in contexts:
            missing = [n for n in var.names() if not env.get(n)]
            wrong = [n for n in var.names() if env.get(n) and env[n].rstrip("/") != var.value.rstrip("/")]
            if missing:
                lower_only = all(n == n.lower() for n in missing) and var.name != var.name.lower()
                note = " (wget reads only the lower-case name)" if lower_only else ""
                problems.append(f"{', '.join(missing)} not set in {ctx_name}{note}")
                severe = severe or not lower_only
                if ctx_name == "a login shell":
                    cmds += [f"echo 'export {n}={var.value}' >> {var.file}" for n in missing]
                else:
                    cmds += [f"export {n}={var.value}" for n in missing]
            for n in wrong:
                problems.append(f"{n}={env[n]} in {ctx_name}, the course uses {var.value}")
                cmds.append(f"export {n}={var.value}")
                severe = True
            good += [f"{ctx_name}: {n}={env[n]}" for n in var.names() if n not in missing + wrong]
    if not problems:
        return ok(*good)
    why = ("; ".join(problems) + ". Without the proxy, git clone, pip and wget from this node hang or fail")
    fix = f"set both cases in {wanted[0].file} so every login has them" + (
        ", and export them in this shell now" if current is not None else "")
    return (fail if severe else warn)(why, fix, list(dict.fromkeys(cmds)), good)


@check("network.reachable", "network", "the hosts the course downloads from are reachable",
       applies=lambda r: bool(r.network))
def reachable(probe: Probe, recipe: Recipe) -> Outcome:
    net = probe.of(NetworkFacts)
    if net.skipped:
        return skip(f"not probed ({net.skipped})")
    bad = {h: f for h, f in net.hosts.items() if not f.ok}
    good = [f"{h}: HTTP {f.status} in {f.ms} ms" + (f" via {f.proxy}" if f.proxy else "")
            for h, f in net.hosts.items() if f.ok]
    if not bad:
        return ok(*good)
    via = next((f.proxy for f in bad.values() if f.proxy), "")
    why = "cannot reach " + "; ".join(f"{h} ({f.error})" for h, f in bad.items())
    why += f" (through the proxy {via})" if via else " (no proxy set)"
    cmds = [f"export https_proxy={recipe.proxy} HTTPS_PROXY={recipe.proxy}"] if recipe.proxy and not via else []
    cmds.append(f"curl -sSI https://{next(iter(bad))}/ | head -1")
    return fail(why, "set the proxy if the node needs one; otherwise the network or the site is down (try again "
                "later, or from another node)", cmds, good)
