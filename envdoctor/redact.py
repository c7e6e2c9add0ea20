"""The one redaction module: every output that can leave the machine goes through here.

Snapshots, bundles (and the logs inside them), check reports, setup plans, run records
and their exports, and shared class reports call `redact_text` / `redact_mapping` /
`redact_env` / `redact_lines` (or a `Redactor`, which also counts what it removed, by kind,
for the bundle's listing). Redaction is the LAST step before text leaves envdoctor: the
commands redact what they print, not only what they collect.

What is removed (replaced by REDACTED):
- tokens by shape: GitHub (ghp_/gho_/ghu_/ghs_/ghr_, github_pat_), GitLab (glpat- ...),
  Slack (xoxb-/xoxp-/..., hooks.slack.com webhooks), Discord and Teams webhooks, AWS access
  key ids (AKIA/ASIA...), Google (AIza..., ya29.), OpenAI-style (sk-..., sk-proj-...),
  Anthropic, Hugging Face (hf_...), PyPI (pypi-...), npm, Docker Hub (dckr_pat_), SendGrid
  (SG.x.y), Stripe, DigitalOcean, Shopify, Databricks, Vault (hvs.), Grafana, New Relic,
  Telegram bot tokens, age secret keys, JWTs, Globus-style opaque tokens (Ag...);
- signed URLs: the signature and credential of AWS (X-Amz-Signature, X-Amz-Credential,
  X-Amz-Security-Token), GCS (X-Goog-Signature, X-Goog-Credential), Azure SAS (`sig=`)
  and `token=` / `access_token=` query parameters;
- connection strings: Azure `AccountKey=` / `SharedAccessKey=` / `SharedAccessSignature=`,
  conda channels with a token (`.../t/<token>/...`);
- values by context: `token=`, `api_key:`, `password ...`, `secret=`, `--password X`,
  `--wandb-key X` (any `--...-key`, `--...-token`), `"access_token": "..."`,
  `'password': '...'` (dict literals), `"auth": "..."` (docker config.json), kaggle.json's
  `"key"`, Authorization / Proxy-Authorization headers, `Bearer X`, `Basic X`,
  `Cookie:` / `Set-Cookie:` headers, `curl -u user:pw`, `mysql -pSECRET`,
  `sshpass -p SECRET`, `redis-cli -a SECRET`, `wandb login KEY`, `openssl ... pass:X`,
  `export NAME=value` where NAME says secret;
- credentials in URLs: `scheme://user:pass@host` -> `scheme://user:REDACTED@host`
  (and a bare user part that looks like a token);
- private key blocks (`-----BEGIN ... PRIVATE KEY-----` to `-----END ...`), across lines,
  also when streamed line by line;
- the value of any variable whose NAME says secret (`*TOKEN*`, `*SECRET*`, `*PASSWORD*`,
  `*PASSWD*`, `*_KEY`, `*API_KEY*`, `*CREDENTIAL*`, ...), whatever the value looks like.
Ordinary hashes (git SHAs, wheel hashes), versions and paths are kept.

How: every rule finds SPANS of the original text (where the secret is, and where its
context starts); overlapping spans are merged and each merged span becomes one REDACTED.
Working on spans of the original text is what lets a line of any length be redacted in
bounded memory (`lines` / `_Window`): a long line is cut into windows that overlap, and a
cut never falls inside a secret or between a secret and its context (`password=` | value).

`anonymize=True` also masks user names and host names with stable pseudonyms
(`user-1a2b3c`, `host-4d5e6f7a`): the same name always gives the same mask, so two
anonymized snapshots can still be diffed. The mask is a hash of the name (salted with
$ENVDOCTOR_ANON_SALT when set, e.g. one salt per class): it hides names from a casual
reader, it is not meant to resist someone who guesses and hashes candidate names.

Speed: text is first tested against one prefilter (a set of lower-case trigger
substrings: token prefixes, secret words, `://` with `@`, key blocks), a whole block of
lines at a time in `redact_lines`; only triggered lines run the patterns, and each pattern
only when its own trigger is present. (Substring tests, because CPython's `re` tries every
alternative of one big alternation at every position: ~10x slower, measured.)
"""
from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from typing import Any, Callable, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Tuple

MASK = "REDACTED"

# --- names that say "secret" -------------------------------------------------------
# A name is split into words (`GITHUB_TOKEN`, `api-key`, `clientSecret` -> github/token,
# api/key, client/secret); it is secret when a word (or a pair of words) says so, or when
# it ends in one of the words. `asttokens`, `tokenizer`, `PIP_KEYRING_PROVIDER` are not.
_SECRET_WORDS = frozenset({
    "token", "secret", "password", "passwd", "passphrase", "credential", "credentials", "apikey", "pat",
    "authorization", "auth", "cookie", "pwd", "pass", "privatekey", "accesskey", "secretkey", "authtoken",
    "accountkey", "sas", "sig", "signature", "identitytoken", "registrytoken",
})
_SECRET_PAIRS = frozenset({("api", "key"), ("access", "key"), ("private", "key"), ("secret", "key"),
                           ("signing", "key"), ("client", "key"), ("session", "key"), ("auth", "key"),
                           ("encryption", "key"), ("master", "key"), ("account", "key"), ("wandb", "key"),
                           ("kaggle", "key"), ("sendgrid", "key")})
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


# --- spans ----------------------------------------------------------------------------
class Span(NamedTuple):
    """A secret in a text: mask text[start:end]; `ctx` is where the match (with the
    context that made it a secret, e.g. `password=`) starts; `repl` replaces the span."""

    ctx: int
    start: int
    end: int
    kind: str
    repl: str = MASK


# A rule: (kind, lower-case gates (one must be in the line; empty = always), pattern,
# handler(match) -> spans). Handlers keep the context (key name, scheme, header) so that a
# reader still sees what was there.
_Handler = Callable[["re.Match[str]"], List[Span]]

# Token patterns start with their literal prefix (the regex engine then skips to it fast);
# that the token starts a word is checked by the handler (a lookbehind first would make
# the engine try every position: ~10x slower on long texts, measured).
_B = ""
_E = r"(?![A-Za-z0-9_\-])"
_WORDISH = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _starts_word(m: re.Match[str], chars: frozenset = _WORDISH) -> bool:
    i = m.start()
    return i == 0 or m.string[i - 1] not in chars


def _whole(kind: str) -> _Handler:
    return lambda m: [Span(m.start(), m.start(), m.end(), kind)] if _starts_word(m) else []


def _group(kind: str, *names: str) -> _Handler:
    """Mask the first named group that matched (quoted values: only inside the quotes)."""
    def handler(m: re.Match[str]) -> List[Span]:
        for n in names:
            if m.group(n) is not None:
                v = m.group(n)
                if not v or v == MASK or not v.strip("\"' "):
                    return []
                return [Span(m.start(), m.start(n), m.end(n), kind)]
        return []
    return handler


_KEY_BLOCK = (
    r"(?s)-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----.*?(?:-----END \1PRIVATE KEY(?: BLOCK)?-----|\Z)")
_KEY_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----")
_KEY_END = re.compile(r"-----END ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----")


def _key_block(m: re.Match[str]) -> List[Span]:
    kind = m.group(1) or ""
    return [Span(m.start(), m.start(), m.end(), "private key",
                 f"-----BEGIN {kind}PRIVATE KEY----- {MASK} -----END {kind}PRIVATE KEY-----")]


# user:password@ in URLs (any scheme: http, https, git+https, socks5, ftp, mongodb+srv, ...).
_URL_CRED = r"://(?P<user>[^\s/@:'\"<>]*)(?::(?P<pw>[^\s/@'\"<>]*))?@"
_PLAIN_USER = re.compile(r"[A-Za-z_][A-Za-z0-9._\-]{0,31}")


def _url(m: re.Match[str]) -> List[Span]:
    user, pw = m.group("user"), m.group("pw")
    spans = []
    if user and user != MASK and not (_PLAIN_USER.fullmatch(user) and not _looks_like_token(user)):
        spans.append(Span(m.start(), m.start("user"), m.end("user"), "url credentials"))
    if pw and pw != MASK:
        spans.append(Span(m.start(), m.start("pw"), m.end("pw"), "url credentials"))
    return spans


# Authorization headers and bare Bearer/Basic credentials.
_AUTH_HEADER = (
    r"(?i)(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token|digest|negotiate)\s+)?"
    r"(?P<v>[^\s\"',;]+)")
_BEARER = r"(?i)\b(?:bearer|basic)\s+(?P<v>[A-Za-z0-9._~+/\-]{8,}=*)"
# Cookie: / Set-Cookie: headers (the whole value: every cookie in it), curl -b/--cookie.
_COOKIE = r"(?i)(?<![A-Za-z0-9_\-])(?:set-)?cookie[\"']?\s*[:=]\s*[\"']?(?P<v>[^\r\n\"']+)"
_COOKIE_FLAG = r"(?:^|\s)(?:-b|--cookie)\s+(?P<q>[\"']?)(?P<v>[^\s\"']*=[^\s\"']*)"

# key = value / key: value / "key": "value" / --key value, where the key says secret.
_SECRET_WORD = (r"(?:[A-Za-z0-9_.\-]{0,64}?(?:token|secret|passw(?:or)?d|passphrase|api[_\-]?key|apikey|"
                r"access[_\-]?key|private[_\-]?key|client[_\-]?secret|credentials?|account[_\-]?key)|_auth|_authToken|"
                r"[A-Za-z0-9]+_pwd|identitytoken|registrytoken)")
_VALUE = r"(?:\"(?P<dq>[^\"\n]*)\"|'(?P<sq>[^'\n]*)'|(?P<bare>[^\s,;&\"'}<>)\]]+))"
_ASSIGN = (
    r"(?i)(?<![A-Za-z0-9])" + _SECRET_WORD + r"[\"']?\s*(?:=|:(?!//)|\s=>)\s*" + _VALUE)
# Options: --password X, --api-key=X, --wandb-key X, --hf-token X, -password X.
_FLAG = (
    r"(?i)(?<![A-Za-z0-9])--?(?:[a-z0-9]+-)*(?:token|secret|password|passwd|passphrase|api-key|apikey|access-key|"
    r"private-key|auth-key|credentials?)(?:-[a-z0-9]+)*(?:\s+|=)" + r"(?P<q>[\"']?)(?P<v>[^\s\-\"'][^\s\"']*)")
_KEY_FLAG = r"(?i)(?<![A-Za-z0-9])--(?:[a-z0-9]+-)+key(?:\s+|=)(?P<q>[\"']?)(?P<v>[^\s\-\"'][^\s\"']*)"
# .netrc: `machine h login u password p` (also `passwd`, `account`); values to the next blank.
_NETRC = r"(?i)(?<![A-Za-z0-9_\-])(?:password|passwd|account)\s+(?P<v>[^\s=:]\S*)"
# NAME=value where NAME says secret (shell, .env files, docker -e): checked with name_is_secret.
_ENV_ASSIGN = (r"(?P<suffix>KEY|key|Key|TOKEN|Token|token|SECRET|Secret|secret|PASSWORD|Password|PASSWD|"
               r"PWD|PAT|AUTH|SIG|SAS|CREDENTIALS?)[\"']?\s*[=:]\s*" + _VALUE)
_IDENT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
# Command lines: curl -u user:pw, mysql -pSECRET, sshpass -p SECRET, redis-cli -a SECRET.
_CURL_USER = (r"(?:^|\s)(?:-u|-U|--user|--proxy-user)(?:\s+|=)?(?P<q>[\"']?)[^\s:\"'@]*:(?![0-9]+(?:\s|$))"
              r"(?P<v>[^\s\"']+)")
_MYSQL_P = r"\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mariadb|mariadb-dump)\b[^\n|;&]*?\s-p(?P<q>[\"']?)(?P<v>[^\s\"']+)"
_SSHPASS = r"\bsshpass\b(?:\s+-[A-Za-z]\S*)*?\s+-p\s*(?P<q>[\"']?)(?P<v>[^\s\"']+)"
_REDIS_A = r"\bredis-cli\b[^\n|;&]*?\s(?:-a|--pass)\s+(?P<q>[\"']?)(?P<v>[^\s\"']+)"
_WANDB_LOGIN = r"\bwandb\s+login\s+(?:--\S+\s+)*(?P<v>[0-9a-f]{40})\b"
_OPENSSL_PASS = r"(?<![A-Za-z0-9])(?:-pass|-passin|-passout|-k)\s+pass:(?P<v>\S+)"
# Signed URLs and connection strings.
_SIGNED_QUERY = (
    r"(?i)[?&;](?:x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|"
    r"sig|signature|awsaccesskeyid|access_token|refresh_token|id_token|token|api_key|apikey|client_secret|"
    r"password|passwd|auth|code|key)=(?P<v>[^&\s\"'<>#]+)")
_AZURE_KEY = (r"(?i)(?:AccountKey|SharedAccessKey|SharedAccessSignature|sharedaccesskeyname_secret)="
              r"(?P<v>[^;\s\"']+)")
_CONDA_TOKEN = r"://[^\s\"'<>]*?/t/(?P<v>[^\s/\"'<>]{6,})"
# Docker config.json ("auth": "base64", "identitytoken"), kaggle.json ("key": "32 hex").
_DOCKER_AUTH = r"(?i)[\"'](?:auth|identitytoken|registrytoken|pass|pw|pwd|passwd|password|secret|token)[\"']\s*:\s*[\"'](?P<v>[^\"'\n]+)[\"']"
_KAGGLE_KEY = r"[Kk][Ee][Yy][\"']?\s*[:=]\s*[\"']?(?P<v>[0-9a-f]{32})(?![0-9A-Za-z_])"


def _env_assign(m: re.Match[str]) -> List[Span]:
    """NAME=value where NAME (found backwards from its secret-sounding end) says secret."""
    text, start = m.string, m.start()
    if m.end("suffix") < len(text) and text[m.end("suffix")] in _IDENT:
        return []
    while start > 0 and text[start - 1] in _IDENT and m.start() - start < 100:
        start -= 1
    name = text[start:m.end("suffix")]
    if not name or name[0].isdigit() or not name_is_secret(name):
        return []
    return [Span(start, *sp[1:]) for sp in _group("secret variable", "dq", "sq", "bare")(m)]


class _Lazy:
    """A rule's pattern, compiled the first time a text passes the rule's gates: in a check
    most rules never fire, and compiling all of them cost about 10 ms of every start."""

    __slots__ = ("source", "_compiled")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: re.Pattern[str] | None = None

    def finditer(self, s: str) -> Iterator[re.Match[str]]:
        if self._compiled is None:  # two threads may both compile it: the same pattern either way
            self._compiled = re.compile(self.source)
        return self._compiled.finditer(s)


# (kind, gates, pattern, handler)
_RULES: Tuple[Tuple[str, Tuple[str, ...], _Lazy, _Handler], ...] = tuple(
    (kind, gates, _Lazy(pat), handler if handler is not None else _whole(kind))
    for kind, gates, pat, handler in (
        ("private key", ("private key",), _KEY_BLOCK, _key_block),
        ("url credentials", ("://",), _URL_CRED, _url),
        ("github-token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), _B + r"gh[pousr]_[A-Za-z0-9]{20,255}", None),
        ("github-token", ("github_pat_",), _B + r"github_pat_[A-Za-z0-9_]{20,255}", None),
        ("gitlab-token", ("gl",), _B + r"gl(?:pat|dt|rt|ptt|cbt|oas|ft|imt|soat|agent|cd|ffct)-[A-Za-z0-9_\-]{16,}", None),
        ("slack-token", ("xox",), _B + r"xox[abposre]-[A-Za-z0-9\-]{8,}", None),
        ("webhook", ("hooks.slack",), r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<v>[A-Za-z0-9/_\-]+)",
         _group("webhook", "v")),
        ("webhook", ("discord",), r"(?i)discord(?:app)?\.com/api/webhooks/(?P<v>[0-9]+/[A-Za-z0-9_\-]+)",
         _group("webhook", "v")),
        ("webhook", ("webhook.office", "logic.azure"),
         r"(?i)(?:webhook\.office\.com/webhookb2|logic\.azure\.com[^\s\"']*?/workflows)/(?P<v>[^\s\"'<>?]+)",
         _group("webhook", "v")),
        ("aws-access-key", ("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa", "abia", "acca"),
         r"(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])", None),
        ("google-api-key", ("aiza",), _B + r"AIza[0-9A-Za-z_\-]{30,}", None),
        ("google-oauth", ("ya29.",), _B + r"ya29\.[0-9A-Za-z_\-]{20,}", None),
        ("google-oauth", ("gocspx-",), _B + r"GOCSPX-[0-9A-Za-z_\-]{10,}", None),
        ("openai-key", ("sk-",), _B + r"sk-(?:proj-|ant-|svcacct-|admin-|or-)?[A-Za-z0-9_\-]{20,}", None),
        ("stripe-key", ("k_live_", "k_test_"), _B + r"[srp]k_(?:live|test)_[A-Za-z0-9]{16,}", None),
        ("huggingface-token", ("hf_",), _B + r"hf_[A-Za-z0-9]{30,}", None),
        ("pypi-token", ("pypi-",), _B + r"pypi-[A-Za-z0-9_\-]{40,}", None),
        ("npm-token", ("npm_",), _B + r"npm_[A-Za-z0-9]{36}", None),
        ("docker-token", ("dckr_",), _B + r"dckr_(?:pat|oat)_[A-Za-z0-9_\-]{20,}", None),
        ("sendgrid-key", ("sg.",), _B + r"SG\.[A-Za-z0-9_\-]{16,32}\.[A-Za-z0-9_\-]{16,64}", None),
        ("digitalocean-token", ("do", "dor_", "doo_"), _B + r"do[por]_v1_[a-f0-9]{64}", None),
        ("shopify-token", ("shp",), _B + r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", None),
        ("databricks-token", ("dapi",), _B + r"dapi[a-f0-9]{32}(?:-\d)?", None),
        ("vault-token", ("hvs.", "hvb.", "hvr."), _B + r"hv[sbr]\.[A-Za-z0-9_\-]{20,}", None),
        ("grafana-token", ("glc_", "glsa_"), _B + r"gl(?:c|sa)_[A-Za-z0-9_+/=\-]{32,}", None),
        ("newrelic-key", ("nrak-",), _B + r"NRAK-[A-Z0-9]{27}", None),
        ("mailgun-key", ("key-",), _B + r"key-[a-f0-9]{32}" + _E, None),
        ("twilio-key", ("sk",), r"(?<![A-Za-z0-9])SK[0-9a-f]{32}(?![A-Za-z0-9])", None),
        ("age-key", ("age-secret-key",), r"AGE-SECRET-KEY-1[A-Z0-9]{50,}", None),
        ("telegram-token", (":aa",), r"(?<![0-9])[0-9]{8,10}:AA[A-Za-z0-9_\-]{33}(?![A-Za-z0-9_\-])", None),
        ("atlassian-token", ("atatt",), _B + r"ATATT[A-Za-z0-9_\-=]{40,}", None),
        ("jwt", ("eyj",), _B + r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*", None),
        ("globus-token", ("ag",), r"Ag[A-Za-z0-9]{60,}(?![A-Za-z0-9])", None),
        ("signed url", ("sig", "x-amz-", "x-goog-", "token=", "key=", "code=", "secret=", "password=", "passwd=",
                        "auth="), _SIGNED_QUERY, _group("signed url", "v")),
        ("connection string", ("accountkey", "sharedaccess"), _AZURE_KEY, _group("connection string", "v")),
        ("conda token", ("/t/",), _CONDA_TOKEN, _group("conda token", "v")),
        ("authorization", ("authori",), _AUTH_HEADER, _group("authorization", "v")),
        ("authorization", ("bearer", "basic "), _BEARER, _group("authorization", "v")),
        ("cookie", ("cookie",), _COOKIE, _group("cookie", "v")),
        ("cookie", ("-b ", "--cookie"), _COOKIE_FLAG, _group("cookie", "v")),
        ("docker auth", ("auth", "identitytoken", "registrytoken", "pass", "pw", "secret", "token"), _DOCKER_AUTH, _group("docker auth", "v")),
        ("kaggle key", ("key",), _KAGGLE_KEY, lambda m: _group("kaggle key", "v")(m) if _starts_word(m, _IDENT) else []),
        ("secret assignment", ("token", "secret", "passw", "passphrase", "apikey", "api_key", "api-key", "accesskey",
                               "access_key", "access-key", "private", "credential", "_auth", "_pwd", "accountkey",
                               "account_key"),
         _ASSIGN, _group("secret assignment", "dq", "sq", "bare")),
        ("secret variable", ("key", "token", "secret", "passw", "pwd", "_pat", "auth", "_sig", "_sas", "credential"),
         _ENV_ASSIGN, _env_assign),
        ("secret option", ("token", "secret", "passw", "passphrase", "api-key", "apikey", "access-key", "private-key",
                           "auth-key", "credential"), _FLAG, _group("secret option", "v")),
        ("secret option", ("-key",), _KEY_FLAG, _group("secret option", "v")),
        ("password", ("passw", "account"), _NETRC, _group("password", "v")),
        ("command-line password", ("-u", "--user", "--proxy-user"), _CURL_USER,
         _group("command-line password", "v")),
        ("command-line password", ("mysql", "mariadb"), _MYSQL_P, _group("command-line password", "v")),
        ("command-line password", ("sshpass",), _SSHPASS, _group("command-line password", "v")),
        ("command-line password", ("redis-cli",), _REDIS_A, _group("command-line password", "v")),
        ("command-line password", ("wandb",), _WANDB_LOGIN, _group("command-line password", "v")),
        ("command-line password", ("pass:",), _OPENSSL_PASS, _group("command-line password", "v")),
    )
)



# The prefilter: a line that contains none of these (lower-cased) needs no further work.
# Plain substring tests are used rather than one alternation regex because CPython's `re`
# tries every alternative at every position (measured: ~10x slower on typical logs), while
# `in` is a fast C search; `redact_lines` also tests whole blocks of lines at once.
_SHORT_GATES = frozenset({"ag", "sk", "do", "gl", ":aa", "-u"})
_TRIGGERS = tuple(sorted({g for _, gates, _, _ in _RULES for g in gates} - _SHORT_GATES | {
    "glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "gloas-", "glft-", "glimt-", "glsoat-", "glagent-", "glcd-",
    "glffct-", "glc_", "glsa_", "dop_v1", "doo_v1", "dor_v1", " -u", "\t-u"} - {"://"}))
# Shapes with a short or no fixed prefix: checked with a regex when their letters appear.
_LONG_AG = re.compile(r"Ag[A-Za-z0-9]{60}")
_SHORT_SHAPES = re.compile(r"SK[0-9a-f]{32}|[0-9]{8,10}:AA")


def _triggered(s: str) -> bool:
    low = s.lower()
    if "@" in low and "://" in low:
        return True
    for t in _TRIGGERS:
        if t in low:
            return True
    if "Ag" in s and _LONG_AG.search(s) is not None:
        return True
    return ("SK" in s or ":AA" in s) and _SHORT_SHAPES.search(s) is not None


def _has(low: str, gates: Tuple[str, ...]) -> bool:
    return any(g in low for g in gates)


def find_spans(s: str) -> List[Span]:
    """Every secret in `s`, as spans of `s` (unmerged, in rule order)."""
    if not s or not _triggered(s):
        return []
    low = s.lower()
    spans: List[Span] = []
    for _kind, gates, pattern, handler in _RULES:
        if gates and not _has(low, gates):
            continue
        for m in pattern.finditer(s):
            spans.extend(handler(m))
    return spans


def _merge(spans: List[Span]) -> List[Span]:
    """Overlapping spans become one (the union); a private key block keeps its text."""
    out: List[Span] = []
    for sp in sorted(spans, key=lambda x: (x.start, -x.end)):
        if out and sp.start < out[-1].end:
            last = out[-1]
            if sp.end > last.end:
                out[-1] = Span(min(last.ctx, sp.ctx), last.start, sp.end, last.kind,
                               last.repl if last.repl == MASK else MASK)
            continue
        out.append(sp)
    return out


def _apply(s: str, spans: List[Span]) -> str:
    parts, pos = [], 0
    for sp in spans:
        parts.append(s[pos:sp.start])
        parts.append(sp.repl)
        pos = sp.end
    parts.append(s[pos:])
    return "".join(parts)


def _pseudonym(prefix: str, name: str, n: int) -> str:
    salt = os.environ.get("ENVDOCTOR_ANON_SALT", "")
    return f"{prefix}-{hashlib.sha256(f'envdoctor:{salt}:{prefix}:{name}'.encode()).hexdigest()[:n]}"


def mask_user(name: str) -> str:
    return _pseudonym("user", name, 6)


def mask_host(name: str) -> str:
    return _pseudonym("host", name.lower(), 8)


# Long lines are redacted in windows of WINDOW characters that overlap by OVERLAP: a secret
# (with its context) up to OVERLAP characters long is always seen whole.
WINDOW = 64 * 1024
OVERLAP = 16 * 1024
_SECRET_TAIL = re.compile(r"[^\s\"'<>,;&]*")
_NEWLINE_SPLIT = re.compile(r"(?<=\n)")


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
        if len(s) > WINDOW + OVERLAP:
            return "".join(self._window_all(s))
        return self._names_masked(self._secrets(s))

    def _names_masked(self, s: str) -> str:
        if self._name_re is not None:
            s = self._name_re.sub(self._mask_name, s)
        return s

    def _mask_name(self, m: re.Match[str]) -> str:
        self.counts["user/host name"] += 1
        return self._names[m.group(1)]

    def _secrets(self, s: str) -> str:
        spans = _merge(find_spans(s))
        self._count(spans)
        return _apply(s, spans)

    def _count(self, spans: List[Span]) -> None:
        for sp in spans:
            self.counts[sp.kind] += 1

    def _window_all(self, s: str) -> Iterator[str]:
        w = _Window(self)
        for i in range(0, len(s), WINDOW):
            yield from w.feed(s[i:i + WINDOW])
        yield w.finish()

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
                        and not isinstance(v, bool) and v != "" and v != MASK:
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
        """Redact a stream of lines lazily, in bounded memory (each keeps its line ending).

        An item that does not end in a newline is continued by the next one: a line that
        arrives in pieces (`readline(limit)`) is redacted as one line, and a line longer
        than WINDOW is redacted in overlapping windows (`_Window`), never cut inside a
        secret. Blocks of lines are tested at once; a private key block that spans lines
        is dropped from its BEGIN line to its END line."""
        buf: List[str] = []
        state = {"in_key": False}
        partial: List[str] = []
        partial_len = 0
        window: Optional[_Window] = None
        for item in lines:
            if window is not None:
                yield from window.feed(item)
                if item.endswith("\n"):
                    yield window.finish()
                    window = None
                continue
            if not item.endswith("\n") or partial:
                partial.append(item)
                partial_len += len(item)
                if item.endswith("\n"):
                    item, partial, partial_len = "".join(partial), [], 0
                elif partial_len > WINDOW:
                    yield from self._flush(buf, state)
                    buf.clear()
                    window = _Window(self, dropping=state["in_key"])
                    yield from window.feed("".join(partial))
                    partial, partial_len = [], 0
                    continue
                else:
                    continue
            buf.append(item)
            if len(buf) >= block:
                yield from self._flush(buf, state)
                buf.clear()
        if window is not None:
            yield window.finish()
        if partial:
            buf.append("".join(partial))
        yield from self._flush(buf, state)

    def _flush(self, buf: List[str], state: dict) -> Iterator[str]:
        if not buf:
            return
        joined = "".join(buf)
        if not state["in_key"] and self._name_re is None and not _triggered(joined):
            yield from list(buf)
            return
        if not state["in_key"] and not _KEY_BEGIN.search(joined) and not _KEY_END.search(joined):
            # The whole block at once (the rules' gates are tested once per block, not per
            # line: ~5x faster on logs where many lines trigger); no span contains a newline,
            # so the block splits back into the same lines.
            parts = _NEWLINE_SPLIT.split(self.text(joined))
            if parts and not parts[-1]:
                parts.pop()
            yield from parts
            return
        for line in list(buf):
            out, state["in_key"] = self._line(line, state["in_key"])
            if out is not None:
                yield out

    def stateful(self, text: str) -> str:
        """Redact one printed message of a stream (a job's output echoed line by line): like
        `text`, but a private key block that began in an earlier message is dropped to its
        END line. Returns "" for a message that is entirely inside a key block."""
        if not self._in_key and not _KEY_BEGIN.search(text):
            return self.text(text)
        parts = []
        for line in text.splitlines(keepends=True):
            out, self._in_key = self._line(line, self._in_key)
            if out is not None:
                parts.append(out)
        return "".join(parts)

    _in_key = False

    def _line(self, line: str, in_key: bool) -> Tuple[Optional[str], bool]:
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


class _Window:
    """Redacts one long text fed in pieces, in bounded memory (WINDOW + OVERLAP + a piece).

    Each window is redacted whole; its first WINDOW characters are emitted, unless a secret
    (or the context before it, like `password=`) crosses that cut: then the cut moves to the
    secret's end. A secret that reaches the end of the window (longer than OVERLAP) is
    masked on to the next blank or quote at the start of the next window."""

    def __init__(self, rd: Redactor, dropping: bool = False) -> None:
        self.rd = rd
        self.buf = ""
        self.carry = dropping  # the text starts inside a secret (or a private key block)

    def feed(self, piece: str) -> List[str]:
        self.buf += piece
        out = []
        while len(self.buf) >= WINDOW + OVERLAP:
            out.append(self._emit(final=False))
        return out

    def finish(self) -> str:
        text = self._emit(final=True) if self.buf else ""
        return text

    def _emit(self, final: bool) -> str:
        window = self.buf if final else self.buf[:WINDOW + OVERLAP]
        spans = list(find_spans(window))
        if self.carry:
            lead = _SECRET_TAIL.match(window)
            if lead is not None and lead.end() > 0:
                spans.append(Span(0, 0, lead.end(), "secret (continued)"))
        spans = _merge(spans)
        cut = len(window) if final else WINDOW
        for sp in spans:  # sorted by start: a moved cut can only meet later spans
            if sp.ctx < cut < sp.end:
                cut = sp.end
        kept = [sp for sp in spans if sp.start < cut]
        self.carry = not final and any(sp.end >= len(window) for sp in kept) and cut >= len(window)
        self.rd._count(kept)
        self.buf = self.buf[cut:]
        return self.rd._names_masked(_apply(window[:cut], kept))


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
