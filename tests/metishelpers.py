"""Fixtures for the inference-service (Metis) tests: real openai/globus_sdk wheels, a stand-in endpoint."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Iterator

import pytest


@pytest.fixture(scope="session")
def metis_wheels() -> Path:
    """The real wheels the simulated node installs offline (`pip download` once; .ci does it first)."""
    from envdoctor.errors import UsageError
    from envdoctor.targets.sim import inference

    cache = inference.wheel_cache("3.10")
    if not inference._cached(cache):
        try:
            inference.download("3.10")
        except UsageError as exc:
            pytest.skip(f"no openai/globus_sdk wheels and no PyPI: {exc}")
    return cache


def state(**over: Any) -> dict[str, Any]:
    """A stand-in state with one valid sign-in: token 'Agvalid' (fresh), 'Agold' (expired)."""
    now = time.time()
    data = {"identity": "jdoe@anl.gov", "catalog": ["gpt-oss-120b", "gemma-4-31B-it"], "offline": [],
            "rate_limited": False, "authorized": True,
            "sessions": {"s1": {"authenticated_at": now - 3600}, "s9": {"authenticated_at": now - 9 * 86400}},
            "access_tokens": {"Agvalid": {"exp": now + 3600, "session": "s1"},
                              "Agold": {"exp": now - 60, "session": "s1"},
                              "Aglapsed": {"exp": now + 3600, "session": "s9"}},
            "refresh_tokens": {}, "pace": {"first_token_s": 0.0, "per_token_s": 0.001}}
    data.update(over)
    return data


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[Any]:
    """The stand-in server on 127.0.0.1 (in this process), with a writable state."""
    import threading

    from envdoctor.targets.sim import inference

    path = tmp_path / "state.json"
    path.write_text(json.dumps(state()), encoding="utf-8")
    server = inference._server_module().make_server(str(path))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    class Endpoint:
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        state_path = path

        def set(self, **over: Any) -> None:
            path.write_text(json.dumps(state(**over)), encoding="utf-8")

    yield Endpoint()
    server.shutdown()
    server.server_close()
