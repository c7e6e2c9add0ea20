"""The one redaction module: every output that can leave the machine goes through here.

Snapshots, bundles (and the logs inside them), check reports and shared class reports call
`redact_text` / `redact_mapping` / `redact_env` / `redact_lines` (or a `Redactor`, which
also counts what it removed, by kind, for the bundle's listing).

What is removed (replaced by REDACTED):
- tokens by shape: GitHub (ghp_/gho_/ghu_/ghs_/ghr_, github_pat_), GitLab (glpat- ...),
  Slack (xoxb-/xoxp-/..., hooks), AWS access key ids (AKIA/ASIA...), Google (AIza..., ya29.),
  OpenAI-style (sk-..., sk-proj-...), Hugging Face (hf_...), PyPI (pypi-...), npm, JWTs,
  Globus-style opaque tokens (Ag...);
- values by context: `token=`, `api_key:`, `password ...`, `secret=`, `--password X`,
  `"access_token": "..."`, Authorization / Proxy-Authorization headers, `Bearer X`, `Basic X`;
- credentials in URLs: `scheme://user:pass@host` -> `scheme://user:REDACTED@host`
  (and a bare user part that looks like a token);
- private key blocks (`-----BEGIN ... PRIVATE KEY-----` to `-----END ...`), across lines,
  also when streamed line by line;
- the value of any variable whose NAME says secret (`*TOKEN*`, `*SECRET*`, `*PASSWORD*`,
  `*PASSWD*`, `*_KEY`, `*API_KEY*`, `*CREDENTIAL*`, ...), whatever the value looks like.

`anonymize=True` also masks user names and host names with stable pseudonyms
(`user-1a2b3c`, `host-4d5e6f7a`): the same name always gives the same mask, so two
anonymized snapshots can still be diffed. The mask is a hash of the name (salted with
$ENVDOCTOR_ANON_SALT when set, e.g. one salt per class): it hides names from a casual
reader, it is not meant to resist someone who guesses and hashes candidate names.

Speed: text is first tested against one prefilter (a set of lower-case trigger
substrings: token prefixes, secret words, `://` with `@`, key blocks), a whole block of
lines at a time in `redact_lines`; only triggered lines run the patterns, and each pattern
only when its own trigger is present. (Substring tests, because CPython's `re` tries every
alternative of one big alternation at every position: ~10x slower, measured.) About
8 MB/s on ordinary logs; bundles cap each log, so a 5 GB log costs about a second.
"""
from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from typing import Any, Iterable, Iterator, Mapping

MASK = "REDACTED"

# --- names that say "secret" -------------------------------------------------------
# A name is split into words (`GITHUB_TOKEN`, `api-key`, `clientSecret` -> github/token,
# api/key, client/secret); it is secret when a word (or a pair of words) says so, or when
# it ends in one of the words. `asttokens`, `tokenizer`, `PIP_KEYRING_PROVIDER` are not.
_SECRET_WORDS = frozenset({
    "token", "secret", "password", "passwd", "passphrase", "credential", "credentials", "apikey", "pat",
    "authorization", "auth", "cookie", "pwd", "pass", "privatekey", "accesskey", "secretkey", "authtoken",
})
_SECRET_PAIRS = frozenset({("api", "key"), ("access", "key"), ("private", "key"), ("secret", "key"),
                           ("signing", "key"), ("client", "key"), ("session", "key"), ("auth", "key"),
                           ("encryption", "key"), ("master", "key")})
_SECRET_ENDINGS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "APIKEY", "_KEY", "-KEY", ".KEY")
# Names that look secret but are well-known harmless settings.
_NOT_SECRET_NAMES = frozenset({
    "PWD", "OLDPWD", "SSH_AUTH_SOCK", "KEYTIMEOUT", "GPG_TTY", "XAUTHORITY", "TOKENIZERS_PARALLELISM",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN", "PIP_KEYRING_PROVIDER", "KRB5CCNAME", "SORT_KEY", "PRIMARY_KEY",
})
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def name_is_secret(name: str) -> bool:
    """True when a variable / key NAME says its value is a secret (`*_TOKEN`, `*_KEY`,
    `*SECRET*`, `*PASSWORD*`, `api_key`, `clientSecret`, ...)."""
    upper = name.upper()
    if upper in _NOT_SECRET_NAMES or not name:
        return False
    if upper.endswith(_SECRET_ENDINGS):
        return True
    words = [w.lower() for w in _WORD_SPLIT.split(name) if w]
    if any(w in _SECRET_WORDS for w in words):
        return True
    return any(pair in _SECRET_PAIRS for pair in zip(words, words[1:]))


# --- patterns ------------------------------------------------------------------------
_KEY_BLOCK = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----.*?(?:-----END \1PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.S,
)
_KEY_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----")
_KEY_END = re.compile(r"-----END ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----")

# (kind, pattern, replacement). Replacements keep the context (key name, scheme, header)
# so that a reader still sees what was there.
_B = r"(?<![A-Za-z0-9_\-])"  # token start: not in the middle of a word
_TOKEN_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str], str], ...] = tuple(
    (kind, gates, re.compile(pat), repl) for kind, gates, pat, repl in (
        ("github-token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), _B + r"gh[pousr]_[A-Za-z0-9]{20,255}", MASK),
        ("github-token", ("github_pat_",), _B + r"github_pat_[A-Za-z0-9_]{20,255}", MASK),
        ("gitlab-token", ("gl",), _B + r"gl(?:pat|dt|rt|ptt|cbt|oas|ft|imt|soat|agent)-[A-Za-z0-9_\-]{16,}", MASK),
        ("slack-token", ("xox",), _B + r"xox[abposre]-[A-Za-z0-9\-]{8,}", MASK),
        ("slack-webhook", ("hooks.slack",), r"hooks\.slack\.com/services/[A-Za-z0-9/_\-]+", "hooks.slack.com/services/" + MASK),
        ("aws-access-key", ("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa", "abia", "acca"),
         r"(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])", MASK),
        ("google-api-key", ("aiza",), _B + r"AIza[0-9A-Za-z_\-]{30,}", MASK),
        ("google-oauth", ("ya29.",), _B + r"ya29\.[0-9A-Za-z_\-]{20,}", MASK),
        ("google-oauth", ("gocspx-",), _B + r"GOCSPX-[0-9A-Za-z_\-]{10,}", MASK),
        ("openai-key", ("sk-",), _B + r"sk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}", MASK),
        ("stripe-key", ("k_live_", "k_test_"), _B + r"[sr]k_(?:live|test)_[A-Za-z0-9]{16,}", MASK),
        ("huggingface-token", ("hf_",), _B + r"hf_[A-Za-z0-9]{30,}", MASK),
        ("pypi-token", ("pypi-",), _B + r"pypi-[A-Za-z0-9_\-]{40,}", MASK),
        ("npm-token", ("npm_",), _B + r"npm_[A-Za-z0-9]{36}", MASK),
        ("jwt", ("eyj",), _B + r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*", MASK),
        ("globus-token", ("ag",), r"(?<![A-Za-z0-9])Ag[A-Za-z0-9]{60,}(?![A-Za-z0-9])", MASK),
    )
)
# Gates of the context patterns (lower-case substrings one of which the line must contain).
_GATE_ASSIGN = ("token", "secret", "passw", "passphrase", "apikey", "api_key", "api-key", "accesskey", "access_key",
                "access-key", "private", "credential", "_auth", "pwd")
_GATE_FLAG = ("token", "secret", "passw", "api-key", "apikey", "access-key", "private-key")
_GATE_NETRC = ("passw", "account")
_GATE_AUTH = ("authori",)
_GATE_BEARER = ("bearer", "basic ")

# user:password@ in URLs (any scheme: http, https, git+https, socks5, ftp, ...).
_URL_CRED = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^\s/@:'\"<>]*)(?::(?P<pw>[^\s/@'\"<>]*))?@")
_PLAIN_USER = re.compile(r"[A-Za-z_][A-Za-z0-9._\-]{0,31}")

# Authorization headers and bare Bearer/Basic credentials.
_AUTH_HEADER = re.compile(
    r"(?i)(?P<k>(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)(?:(?P<scheme>bearer|basic|token|digest|negotiate)\s+)?"
    r"(?P<v>[^\s\"',;]+)")
_BEARER = re.compile(r"(?i)(?P<k>\b(?:bearer|basic)\s+)(?P<v>[A-Za-z0-9._~+/\-]{8,}=*)")

# key = value / key: value / "key": "value" / --key value, where the key says secret.
_SECRET_WORD = (r"(?:[A-Za-z0-9_.\-]*?(?:token|secret|passw(?:or)?d|passphrase|api[_\-]?key|apikey|"
                r"access[_\-]?key|private[_\-]?key|client[_\-]?secret|credentials?)|_auth|_authToken|[A-Za-z0-9]+_pwd)")
_ASSIGN = re.compile(
    r"(?i)(?P<k>(?<![A-Za-z0-9])" + _SECRET_WORD + r"[\"']?\s*(?:=|:(?!//)|\s=>)\s*)"
    r"(?P<v>\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&\"'}<>)\]]+)")
_FLAG = re.compile(
    r"(?i)(?P<k>(?<![A-Za-z0-9])--?(?:[a-z0-9]+-)*(?:token|secret|password|passwd|api-key|apikey|access-key|"
    r"private-key)(?:-[a-z0-9]+)*(?:\s+|=))(?P<v>[^\s\-][^\s]*)")
# .netrc: `machine h login u password p` (also `passwd`, `account`); values to the next blank.
_NETRC = re.compile(r"(?i)(?P<k>(?<![A-Za-z0-9_\-])(?:password|passwd|account)\s+)(?P<v>[^\s=:]\S*)")

# The prefilter: a line that contains none of these (lower-cased) needs no further work.
# Plain substring tests are used rather than one alternation regex because CPython's `re`
# tries every alternative at every position (measured: ~10x slower on typical logs), while
# `in` is a fast C search; `redact_lines` also tests whole blocks of lines at once.
_TRIGGERS = (
    "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat", "glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "gloas-",
    "glft-", "glimt-", "glsoat-", "glagent-", "xox", "hooks.slack", "akia", "asia", "agpa", "aida", "aroa", "anpa",
    "anva", "aipa", "abia", "acca", "aiza", "ya29.", "gocspx", "sk-", "k_live_", "k_test_", "hf_", "pypi-", "npm_",
    "eyj", "private", "token", "secret", "passw", "passphrase", "apikey", "api_key", "api-key", "accesskey",
    "access_key", "access-key", "credential", "authori", "bearer", "basic ", "_auth", "pwd", "account",
)
# A Globus-style token (Ag + 60 letters/digits) has no fixed prefix: checked separately.
_LONG_AG = re.compile(r"Ag[A-Za-z0-9]{60}")


def _triggered(s: str) -> bool:
    low = s.lower()
    if "@" in low and "://" in low:
        return True
    for t in _TRIGGERS:
        if t in low:
            return True
    return "Ag" in s and _LONG_AG.search(s) is not None


def _has(low: str, gates: tuple[str, ...]) -> bool:
    for g in gates:
        if g in low:
            return True
    return False


def _pseudonym(prefix: str, name: str, n: int) -> str:
    salt = os.environ.get("ENVDOCTOR_ANON_SALT", "")
    return f"{prefix}-{hashlib.sha256(f'envdoctor:{salt}:{prefix}:{name}'.encode()).hexdigest()[:n]}"


def mask_user(name: str) -> str:
    return _pseudonym("user", name, 6)


def mask_host(name: str) -> str:
    return _pseudonym("host", name.lower(), 8)


class Redactor:
    """Redacts text, mappings, environment values and streams of lines; counts by kind.

    `anonymize` also masks the given user names and host names (and the short form of
    each fully qualified host name) wherever they appear.
    """

    def __init__(self, anonymize: bool = False, users: Iterable[str] = (), hosts: Iterable[str] = ()) -> None:
        self.anonymize = anonymize
        self.counts: Counter[str] = Counter()
        self._names: dict[str, str] = {}
        if anonymize:
            for u in users:
                if u and len(u) >= 2:
                    self._names[u] = mask_user(u)
            for h in hosts:
                # A host and its short name get the same mask (gc-login-01 == gc-login-01.x.y).
                short = h.split(".")[0] if h else ""
                if len(short) >= 2:
                    self._names.setdefault(h, mask_host(short))
                    self._names.setdefault(short, mask_host(short))
        # Longest names first, so that a FQDN is masked as a whole before its short form.
        names = sorted(self._names, key=len, reverse=True)
        self._name_re = (re.compile(r"(?<![A-Za-z0-9_\-])(" + "|".join(re.escape(n) for n in names) + r")(?![A-Za-z0-9_\-])")
                         if names else None)

    # -- text ------------------------------------------------------------------------
    def text(self, s: str) -> str:
        """`s` with every secret (and, when anonymizing, every user/host name) masked."""
        if not s:
            return s
        if _triggered(s):
            s = self._secrets(s)
        if self._name_re is not None:
            s = self._name_re.sub(self._mask_name, s)
        return s

    def _mask_name(self, m: re.Match[str]) -> str:
        self.counts["user/host name"] += 1
        return self._names[m.group(1)]

    def _secrets(self, s: str) -> str:
        low = s.lower()
        if "private key" in low:
            s = _KEY_BLOCK.sub(self._key_block, s)
        if "@" in s and "://" in s:
            s = _URL_CRED.sub(self._url, s)
        for kind, gates, pattern, repl in _TOKEN_PATTERNS:
            if _has(low, gates):
                s, n = pattern.subn(repl, s)
                if n:
                    self.counts[kind] += n
        if _has(low, _GATE_AUTH):
            s = _AUTH_HEADER.sub(self._auth_header, s)
        if _has(low, _GATE_BEARER):
            s = _BEARER.sub(self._keep_key("authorization"), s)
        if _has(low, _GATE_ASSIGN):
            s = _ASSIGN.sub(self._keep_key("secret assignment"), s)
        if _has(low, _GATE_FLAG) and "-" in s:
            s = _FLAG.sub(self._keep_key("secret option"), s)
        if _has(low, _GATE_NETRC):
            s = _NETRC.sub(self._keep_key("password"), s)
        return s

    def _key_block(self, m: re.Match[str]) -> str:
        self.counts["private key"] += 1
        kind = m.group(1) or ""
        return f"-----BEGIN {kind}PRIVATE KEY----- {MASK} -----END {kind}PRIVATE KEY-----"

    def _url(self, m: re.Match[str]) -> str:
        user, pw = m.group("user"), m.group("pw")
        if pw is None:
            # A bare user part: keep ordinary names (git@, alice@), mask token-like ones.
            if _PLAIN_USER.fullmatch(user) and not _looks_like_token(user):
                return m.group(0)
            self.counts["url credentials"] += 1
            return f"{m.group('scheme')}{MASK}@"
        self.counts["url credentials"] += 1
        shown = user if _PLAIN_USER.fullmatch(user) and not _looks_like_token(user) else MASK
        return f"{m.group('scheme')}{shown}:{MASK}@"

    def _auth_header(self, m: re.Match[str]) -> str:
        if m.group("v") == MASK:
            return m.group(0)
        self.counts["authorization"] += 1
        scheme = (m.group("scheme") + " ") if m.group("scheme") else ""
        return f"{m.group('k')}{scheme}{MASK}"

    def _keep_key(self, kind: str) -> Any:
        def repl(m: re.Match[str]) -> str:
            v = m.group("v")
            if MASK in v or not v.strip("\"'"):
                return m.group(0)
            self.counts[kind] += 1
            quote = v[0] if v[0] in "\"'" and len(v) > 1 and v[-1] == v[0] else ""
            return f"{m.group('k')}{quote}{MASK}{quote}"

        return repl

    # -- structured values ------------------------------------------------------------
    def env(self, name: str, value: str) -> str:
        """The value of environment variable `name`, safe to show."""
        if value and name_is_secret(name):
            self.counts["secret variable"] += 1
            return MASK
        return self.text(value)

    def mapping(self, data: Any) -> Any:
        """A copy of a JSON-like value with secrets masked (values under secret-named keys
        are masked whole, whatever they look like). Key order is kept."""
        if isinstance(data, Mapping):
            result: dict[Any, Any] = {}
            for k, v in data.items():
                key = self.text(k) if isinstance(k, str) else k
                if isinstance(k, str) and name_is_secret(k) and isinstance(v, (str, int, float)) \
                        and not isinstance(v, bool) and v != "":
                    self.counts["secret variable"] += 1
                    result[key] = MASK
                else:
                    result[key] = self.mapping(v)
            return result
        if isinstance(data, (list, tuple)):
            return [self.mapping(v) for v in data]
        if isinstance(data, str):
            return self.text(data)
        return data

    def lines(self, lines: Iterable[str], block: int = 256) -> Iterator[str]:
        """Redact a stream of lines lazily (each keeps its line ending). Blocks of lines are
        tested at once; a private key block that spans lines is dropped from its BEGIN line
        to its END line."""
        buf: list[str] = []
        in_key = False
        it = iter(lines)
        while True:
            buf.clear()
            for line in it:
                buf.append(line)
                if len(buf) >= block:
                    break
            if not buf:
                return
            if not in_key and self._name_re is None and not _triggered("".join(buf)):
                yield from buf
                continue
            for line in buf:
                out, in_key = self._line(line, in_key)
                if out is not None:
                    yield out

    def _line(self, line: str, in_key: bool) -> tuple[str | None, bool]:
        if in_key:
            end = _KEY_END.search(line)
            if not end:
                return None, True
            tail = line[end.end():]
            return ("-----END PRIVATE KEY-----" + (self.text(tail) if tail.strip() else "\n")), False
        begin = _KEY_BEGIN.search(line)
        if begin and not _KEY_END.search(line, begin.end()):
            self.counts["private key"] += 1
            return self.text(line[:begin.start()]) + f"-----BEGIN PRIVATE KEY----- {MASK}\n", True
        return self.text(line), False


def _looks_like_token(s: str) -> bool:
    """A long mixed string of letters and digits (an opaque credential), not a user name."""
    if len(s) < 20:
        return False
    return sum(c.isdigit() for c in s) >= 3 and sum(c.isalpha() for c in s) >= 3


_DEFAULT = Redactor()


def redact_text(s: str) -> str:
    """`s` with every secret masked."""
    return _DEFAULT.text(s)


def redact_mapping(d: Any) -> Any:
    """A copy of a JSON-like value (dict, list, str, ...) with every secret masked."""
    return _DEFAULT.mapping(d)


def redact_env(name: str, value: str) -> str:
    """The value of variable `name`, masked whole when the name says secret."""
    return _DEFAULT.env(name, value)


def redact_lines(lines: Iterable[str]) -> Iterator[str]:
    """Redact a stream of lines lazily (bounded memory), including multi-line key blocks."""
    return Redactor().lines(lines)
