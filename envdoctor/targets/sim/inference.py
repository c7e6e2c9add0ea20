"""The ALCF Inference Service on a simulated node (the `metis` recipe; any recipe with an
`extra.inference` section).

- the node: R/var/inference/state.json (Globus Auth and the cluster, as the stand-ins see
  them), the guide's helper served from the node's own copy (R/srv/downloads/<host>/<path>,
  mapped in sim.json `upstreams`), real `openai` and `globus_sdk` wheels in the wheelhouse;
- the endpoint: payload/standins/inference_server.py, a ThreadingHTTPServer on 127.0.0.1 at a
  port the kernel picks, started in envdoctor's process the first time something needs it
  (a check, a setup step, a run: `ensure`) and shut down when the process exits;
- `--ready` handlers for the `fetch` and `inference-auth` steps, and the faults.

Real wheels: the node must install `openai` and `globus_sdk` offline with real pip, so the
builder copies real wheels (and their dependencies) from a local cache
(ENVDOCTOR_WHEEL_CACHE, default ~/.cache/envdoctor/wheels/cpXY), filled once with
`pip download` (`python -m envdoctor.targets.sim.inference download`; .ci runs it before the
tests). Stand-in wheels would hide every real incompatibility, so there are none.
"""
from __future__ import annotations

import atexit
import importlib.util
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from envdoctor.errors import UsageError
from envdoctor.recipe import Recipe, Step
from envdoctor.targets import Target

STATE = "var/inference/state.json"
LOG = "var/inference/server.log"
SERVER = Path(__file__).with_name("payload") / "standins" / "inference_server.py"
REAL_WHEELS = ("openai", "globus_sdk")
HOUR = 3600.0
DAY = 24 * HOUR
BASE_URL_VAR = "METIS_BASE_URL"  # read by envdoctor/recipes/files/metis_chat.py


def spec(recipe: Recipe) -> Mapping[str, Any]:
    """The recipe's `extra.inference` section ({} when it has none)."""
    value = recipe.extra.get("inference") if isinstance(recipe.extra, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def downloads_path(root: Path, url: str) -> Path:
    """Where the node keeps its own copy of a file the course downloads from `url`."""
    parts = urlsplit(url)
    return root / "srv" / "downloads" / parts.netloc / parts.path.lstrip("/")


# --- building the node -------------------------------------------------------------------

def build(node: Any) -> None:
    """Called by the builder for every node; does nothing for a recipe without inference."""
    info = spec(node.recipe)
    if not info:
        return
    for step in node.recipe.steps:
        url = step.get("url")
        if step.kind == "fetch" and url and downloads_path(node.root, url).is_file():
            node.meta["upstreams"][url] = "file://" + str(downloads_path(node.root, url))
    node.meta["services"] = ["inference"]
    models = [str(m) for m in info.get("models", [])]
    state = {"identity": f"{node.meta['user']}@anl.gov", "identity_id": "00000000-0000-4000-8000-000000000000",
             "catalog": models, "offline": [], "rate_limited": False, "authorized": True,
             "sessions": {}, "access_tokens": {}, "refresh_tokens": {},
             "pace": {"first_token_s": 0.03, "per_token_s": 0.002}}
    write_state(node.root, state)
    python = node.recipe.environment.python
    copy_real_wheels(node.wheelhouse, node.meta["python_versions"].get(python, ""), node.meta["interpreters"].get(python, ""))


def write_state(root: Path | str, state: Mapping[str, Any]) -> None:
    path = Path(root) / STATE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_state(root: Path | str) -> dict[str, Any]:
    return json.loads((Path(root) / STATE).read_text(encoding="utf-8"))


# --- real wheels -------------------------------------------------------------------------

def wheel_cache(python_version: str) -> Path:
    tag = "cp" + "".join(python_version.split(".")[:2])
    base = os.environ.get("ENVDOCTOR_WHEEL_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "envdoctor", "wheels")
    return Path(base) / tag


def _cached(cache: Path) -> bool:
    names = {p.name.split("-")[0].lower().replace("_", "-") for p in cache.glob("*.whl")} if cache.is_dir() else set()
    return all(n.replace("_", "-") in names for n in REAL_WHEELS)


def download(python_version: str, interpreter: str = "") -> Path:
    """`pip download` the real wheels (and dependencies) for `python_version` into the cache,
    with that interpreter's own pip, so that environment markers (`exceptiongroup; python_version
    < "3.11"`) are those of the Python that installs them."""
    from envdoctor import proc

    minor = ".".join(python_version.split(".")[:2])
    if not interpreter:
        from envdoctor.targets.sim import interpreters

        played = interpreters.play(minor)  # the host interpreter a node's `minor` is played by
        interpreter, minor = played.path, ".".join(played.version.split(".")[:2])
    cache = wheel_cache(minor)
    cache.mkdir(parents=True, exist_ok=True)
    done = proc.run([interpreter, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                     "--only-binary=:all:", "-d", str(cache), *REAL_WHEELS], timeout=600)
    if not done.ok or not _cached(cache):
        detail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or [""]
        raise UsageError(f"cannot download the openai and globus_sdk wheels for Python {minor} into {cache} "
                         f"({detail[0][:200]}); run this once where PyPI is reachable: "
                         f"python -m envdoctor.targets.sim.inference download {minor}")
    return cache


def copy_real_wheels(wheelhouse: Path, python_version: str, interpreter: str = "") -> None:
    cache = wheel_cache(python_version or "3.10")
    if not _cached(cache):
        download(python_version or "3.10", interpreter)
    wheelhouse.mkdir(parents=True, exist_ok=True)
    for wheel in sorted(cache.glob("*.whl")):
        shutil.copy2(wheel, wheelhouse / wheel.name)


# --- the endpoint --------------------------------------------------------------------------

_SERVERS: dict[str, tuple[Any, str]] = {}
_LOCK = threading.Lock()


def _server_module() -> Any:
    name = "envdoctor_sim_inference_server"
    if name in sys.modules:
        return sys.modules[name]
    loaded = importlib.util.spec_from_file_location(name, SERVER)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    sys.modules[name] = module
    loaded.loader.exec_module(module)
    return module


def origin(target: Target) -> str:
    """http://127.0.0.1:PORT of the node's stand-in endpoint, started when first needed."""
    root = target.root
    with _LOCK:
        if root not in _SERVERS:
            server = _server_module().make_server(str(Path(root) / STATE), str(Path(root) / LOG))
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                      daemon=True, name="metis stand-in")
            thread.start()
            _SERVERS[root] = (server, f"http://127.0.0.1:{server.server_address[1]}")
        return _SERVERS[root][1]


def stop(root: str | None = None) -> None:
    """Shut the stand-in endpoint(s) down (at exit, and in tests)."""
    with _LOCK:
        for key in [k for k in _SERVERS if root is None or k == root]:
            server, _ = _SERVERS.pop(key)
            server.shutdown()
            server.server_close()


atexit.register(stop)


def local_url(target: Target, url: str) -> str:
    """A service URL as this target reaches it: the stand-in's on a simulated node."""
    if not target.root or "inference" not in target.meta.get("services", ()):
        return url
    parts = urlsplit(url)
    return origin(target) + parts.path + (f"?{parts.query}" if parts.query else "")


def process_env(target: Target, recipe: Recipe | None = None) -> dict[str, str]:
    """What a process on the node needs to reach the stand-in (the run's METIS_BASE_URL)."""
    base = "https://inference-api.alcf.anl.gov/resource_server/metis/api/v1"
    if recipe is not None and spec(recipe).get("base_url"):
        base = str(spec(recipe)["base_url"])
    return {BASE_URL_VAR: local_url(target, base)}


# --- --ready handlers ------------------------------------------------------------------------

def ready_fetch(node: Any, step: Step) -> None:
    """What a student types: `wget URL` in the destination directory (node's copy here)."""
    dest = node.path(str(step.get("dest")))
    dest.parent.mkdir(parents=True, exist_ok=True)
    if step.get("url"):
        shutil.copyfile(downloads_path(node.root, str(step.get("url"))), dest)
    else:
        from envdoctor.steps.fetch import bundled_path

        shutil.copyfile(bundled_path(str(step.get("bundled"))), dest)


def ready_auth(node: Any, step: Step) -> None:
    """`python inference_auth_token.py authenticate` with the venv's python, in the helper's dir."""
    helper = node.path(str(step.get("helper")))
    node.run([node.env_python(), helper.name, "authenticate"], cwd=helper.parent, timeout=120)


READY_HANDLERS = {"fetch": ready_fetch, "inference-auth": ready_auth}


# --- faults ----------------------------------------------------------------------------------

def _tokens_file(node: Any) -> Path:
    return node.path(str(spec(node.recipe)["tokens"]))


def token_missing(node: Any) -> None:
    """The helper was fetched but `authenticate` never ran (or the token file was deleted)."""
    path = _tokens_file(node)
    if path.exists():
        path.unlink()


def token_expired(node: Any, days_ago: float = 9.0) -> None:
    """Last signed in `days_ago` days ago: the access token expired long since, and the
    7-day re-authentication policy has lapsed, so a refreshed token is refused too."""
    path = _tokens_file(node)
    data = json.loads(path.read_text(encoding="utf-8"))
    token = next(iter(data["data"]["DEFAULT"].values()))
    signed_in = time.time() - days_ago * DAY
    token["expires_at_seconds"] = int(signed_in + 48 * HOUR)
    path.write_text(json.dumps(data), encoding="utf-8")
    state = read_state(node.root)
    for grant in state.get("access_tokens", {}).values():
        grant["exp"] = int(signed_in + 48 * HOUR)
    for session in state.get("sessions", {}).values():
        session["authenticated_at"] = signed_in
    write_state(node.root, state)


def model_unavailable(node: Any) -> None:
    """The recipe's model is no longer served on the cluster (as the course's
    gpt-oss-120b-131072 was replaced): not listed, and a request for it is a 404."""
    state = read_state(node.root)
    model = default_model(node.recipe)
    state["catalog"] = [m for m in state.get("catalog", []) if m != model]
    write_state(node.root, state)


def rate_limited(node: Any) -> None:
    """The user's tokens-per-minute budget on the model is used up: chat completions get 429."""
    state = read_state(node.root)
    state["rate_limited"] = True
    write_state(node.root, state)


def default_model(recipe: Recipe) -> str:
    for run in recipe.runs:
        for p in run.params:
            if p.name == "model":
                return str(p.default)
    return str(spec(recipe).get("model", ""))


def has_inference(recipe: Recipe) -> bool:
    return bool(spec(recipe))


if __name__ == "__main__":  # python -m envdoctor.targets.sim.inference download [3.10]
    if len(sys.argv) >= 2 and sys.argv[1] == "download":
        print(download(sys.argv[2] if len(sys.argv) > 2 else "3.10"))
    else:
        print("usage: python -m envdoctor.targets.sim.inference download [PYTHON_VERSION]", file=sys.stderr)
        sys.exit(2)
