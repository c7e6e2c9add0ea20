"""The metis metrics parser on the reference client's own output format."""
from __future__ import annotations

from envdoctor import metrics

LOG = """endpoint https://inference-api.alcf.anl.gov/resource_server/metis/api/v1 model gpt-oss-120b max_tokens 150 temperature 0.2
request 1/3: latency 1.500 s, prompt_tokens 17, completion_tokens 150, tokens/s 100.0
answer 1: Paris. The capital of France.
request 2/3: latency 0.500 s, prompt_tokens 14, completion_tokens 50, tokens/s 100.0
answer 2: 4.
request 3/3: latency 1.000 s, prompt_tokens 10, completion_tokens 100, tokens/s 100.0
answer 3: Quantum computing uses qubits.
summary: requests 3, completion_tokens 300, mean latency 1.000 s, tokens/s 100.0
"""


def test_summary_values() -> None:
    m = metrics.parse_text("metis", LOG)
    assert m.values == {"latency_s": 1.0, "completion_tokens": 300.0, "requests": 3.0, "tokens_per_sec": 100.0}
    assert m.events == ["completed"] and m.matched == 4


def test_cut_log_keeps_running_means() -> None:
    cut = "\n".join(LOG.splitlines()[:4]) + "\n"
    m = metrics.parse_text("metis", cut)
    assert m.values["latency_s"] == 1.0  # (1.5 + 0.5) / 2
    assert m.values["tokens_per_sec"] == 100.0  # 200 tokens / 2.0 s
    assert m.values["requests"] == 2.0 and "completed" not in m.events


def test_a_failed_run_has_no_metrics() -> None:
    text = "openai.RateLimitError: Error code: 429 - Tokens/minute limit exceeded\n"
    assert metrics.parse_text("metis", text).empty
