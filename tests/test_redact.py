"""envdoctor.redact: every secret shape goes, ordinary text stays, and it is fast."""
from __future__ import annotations

import pytest

from envdoctor.redact import MASK, Redactor, name_is_secret, redact_env, redact_lines, redact_mapping, redact_text

GH = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"

SECRET_TEXTS = [
    ("export GITHUB_TOKEN={}", GH),
    ("token: {}", "gho_" + "x" * 36),
    ("pat {}", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
    ("CI_JOB_TOKEN {}", "glpat-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm"),
    ("slack {}", "xoxb-123456789012-1234567890123-AbCdEfGhIjKl"),
    ("slack user {}", "xoxp-123456789012-abcdefghij"),
    ("id {}", "AKIA" + "IOSFODNN7EXAMPLE"),
    ("aws_secret_access_key = {}", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("key={}", "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"),
    ("OPENAI {}", "sk-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCD"),
    ("anthropic {}", "sk-ant-" + "api03-abcdefghijklmnopqrstuvwxyz"),
    ("hf {}", "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi"),
    ("jwt {}", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
    ("globus {}", "Ag" + "kXr4Vn0q3zWbY7pLmT2sD9fH6jK1cE5gA8uR0oI3yN4vB7xM2zQ6wS9tL1aP5dFhJq"),
    ('{{"refresh_token": "{}"}}', "opaqueRefresh123"),
    ("password={}", "hunter2secret"),
    ("PASSWORD: {}", "hunter2secret"),
    ("db_pwd={}", "hunter2secret"),
    ("api_key = '{}'", "abc123def456"),
    ("client_secret: {}", "csecret-99"),
    ("--password {}", "clipassw0rd"),
    ("--api-key={}", "cliapikey99"),
    ("Authorization: Bearer {}", "abc.def.ghi-jklmnop"),
    ("Authorization: Basic {}", "YWxpY2U6aHVudGVyMg=="),
    ("curl -H 'Proxy-Authorization: {}'", "rawcredential99"),
    ("http_proxy=http://alice:{}@proxy.alcf.anl.gov:3128", "S3cretPass"),
    ("index-url = https://__token__:{}@pypi.org/simple", "pypi-" + "AgEIcHlwaS5vcmcCJGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEy"),
    ("git remote https://oauth2:{}@gitlab.com/x/y.git", "glpat-" + "abcdefghij1234567890"),
    ("https://{}@github.com/x/y", GH),
    ("https://{}@github.com/x/y", "0123456789abcdef0123456789abcdef01234567"),
    ("machine github.com login alice password {}", "n3trcS3cret"),
    ("//registry.npmjs.org/:_authToken={}", "npm-secret-value-1"),
    ("npm {}", "npm_" + "a" * 36),
]


@pytest.mark.parametrize("template, secret", SECRET_TEXTS)
def test_secret_shapes_are_removed(template: str, secret: str) -> None:
    text = template.format(secret)
    out = redact_text(text)
    assert secret not in out, out
    assert MASK in out


@pytest.mark.parametrize("text", [
    "tokenizer=bert-base-uncased max_tokens=128",
    "ssh://git@github.com/groq/groqflow.git",
    "git@github.com:graphcore/examples.git",
    "https://github.com/Cerebras/modelzoo.git",
    "http://proxy.alcf.anl.gov:3128",
    "PWD=/home/alice/R_2.10.0",
    "task-abcdefghijklmnopqrstuvwxyz is a task",
    "pip install datasets==2.21.0 soundfile",
    "asttokens 2.4.1",
    "Using the hf_hub_download helper",
    "-----BEGIN PUBLIC KEY-----",
    "the keyword `key` alone",
    "https://alice@proxy.example.org:3128",
])
def test_ordinary_text_stays(text: str) -> None:
    assert redact_text(text) == text


def test_private_key_block_across_lines() -> None:
    text = "before\n-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAsecretline1\nBBBBsecretline2\n-----END OPENSSH PRIVATE KEY-----\nafter"
    out = redact_text(text)
    assert "secretline" not in out and out.startswith("before\n") and out.endswith("after")
    streamed = "".join(redact_lines(iter(text.splitlines(keepends=True))))
    assert "secretline" not in streamed and streamed.startswith("before\n") and streamed.endswith("after")


def test_unterminated_key_block_drops_the_rest() -> None:
    lines = ["ok\n", "-----BEGIN EC PRIVATE KEY-----\n", "secretbody\n", "more secret\n"]
    out = "".join(redact_lines(lines))
    assert "secret" not in out and out.startswith("ok\n")
    assert "secretbody" not in redact_text("".join(lines))


def test_redact_lines_is_lazy() -> None:
    def endless():
        i = 0
        while True:
            i += 1
            yield f"line {i} token={GH}\n"

    gen = redact_lines(endless())
    first = [next(gen) for _ in range(3)]
    assert all(GH not in x for x in first)


@pytest.mark.parametrize("name, secret", [
    ("GITHUB_TOKEN", True), ("HF_TOKEN", True), ("AWS_SECRET_ACCESS_KEY", True), ("AWS_ACCESS_KEY_ID", True),
    ("GLOBUS_REFRESH_TOKEN", True), ("DB_PASSWORD", True), ("MYPASSWORD", True), ("SSH_KEY", True),
    ("OPENAI_API_KEY", True), ("clientSecret", True), ("GITLAB_PAT", True),
    ("PATH", False), ("PWD", False), ("SSH_AUTH_SOCK", False), ("TOKENIZERS_PARALLELISM", False),
    ("PIP_KEYRING_PROVIDER", False), ("asttokens", False), ("CONDA_PREFIX", False), ("key", False),
])
def test_secret_names(name: str, secret: bool) -> None:
    assert name_is_secret(name) is secret


def test_redact_env_by_name_and_value() -> None:
    assert redact_env("MY_SERVICE_TOKEN", "anything-at-all") == MASK
    assert redact_env("DB_PASSWORD", "x") == MASK
    assert redact_env("HTTPS_PROXY", "http://u:pw123@proxy:3128") == f"http://u:{MASK}@proxy:3128"
    assert redact_env("PATH", "/usr/bin:/bin") == "/usr/bin:/bin"
    assert redact_env("GITHUB_TOKEN", "") == ""


def test_redact_mapping_nested_keys_and_values() -> None:
    data = {"env": {"GITHUB_TOKEN": "plain", "PATH": "/bin"}, "list": [f"x {GH}", 3, None, True],
            "password": 12345, "nested": {"api_key": "v", "dists": {"asttokens": "2.4.1"}}}
    out = redact_mapping(data)
    assert out["env"] == {"GITHUB_TOKEN": MASK, "PATH": "/bin"}
    assert out["list"] == [f"x {MASK}", 3, None, True]
    assert out["password"] == MASK and out["nested"]["api_key"] == MASK
    assert out["nested"]["dists"] == {"asttokens": "2.4.1"}
    assert data["env"]["GITHUB_TOKEN"] == "plain"  # a copy


def test_anonymize_is_consistent() -> None:
    a = Redactor(anonymize=True, users=["alice"], hosts=["gc-login-01.ai.alcf.anl.gov"])
    b = Redactor(anonymize=True, users=["alice"], hosts=["gc-login-01"])
    t1 = a.text("alice@gc-login-01.ai.alcf.anl.gov:/home/alice")
    t2 = b.text("alice@gc-login-01:/home/alice")
    assert "alice" not in t1 and "gc-login" not in t1
    assert t1 == t2  # same names -> same masks, FQDN and short name alike
    assert a.text("malice and alice2") == "malice and alice2"  # whole names only
    assert a.counts["user/host name"] == 3


def test_counts_by_kind() -> None:
    r = Redactor()
    r.text(f"{GH} and http://u:p@h/ and password=x")
    assert r.counts["github-token"] == 1 and r.counts["url credentials"] == 1 and sum(r.counts.values()) == 3


def test_a_big_log_keeps_its_lines_and_loses_its_secret() -> None:
    """Its speed: benchmarks/redact_throughput.py (no timing assertions here)."""
    lines = [f"2024-05-01 12:00:{i % 60:02d} INFO step {i} loss=0.{i % 97} samples/sec=1234.5 path=/home/alice/x\n"
             for i in range(200_000)]
    lines[1000] = f"Authorization: Bearer {GH}\n"
    out = list(redact_lines(lines))
    assert GH not in "".join(out) and len(out) == len(lines)
    assert out[:1000] == lines[:1000] and out[1001:] == lines[1001:]
