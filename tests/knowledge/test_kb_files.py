"""Every knowledge/*.yaml file is one knowledge base: merged, validated across files, cached on
all of them; families' templates are checked at load."""
from __future__ import annotations

import random
import re
import textwrap
from pathlib import Path

import pytest

from envdoctor.errors import RecipeError
from envdoctor.knowledge import explain_text, kb
from envdoctor.knowledge.matcher import Matcher

HEAD = "schema: envdoctor/faults@1\n"


def fault(fid: str, sig: str, extra: str = "", title: str = "t", cause: str = "c") -> str:
    return (f"  - id: {fid}\n    category: shell\n    platforms: [all]\n    title: \"{title}\"\n"
            f"    signatures: ['{sig}']\n    cause: \"{cause}\"\n    fix: f\n    source: s\n    examples: ['x']\n"
            + extra)


def write(tmp: Path, name: str, body: str) -> Path:
    path = tmp / name
    path.write_text(body, encoding="utf-8")
    return path


def test_the_package_loads_every_yaml_file_sorted() -> None:
    base = kb.load(use_cache=False)
    names = [Path(p).name for p in base.files]
    assert names == sorted(names) and "faults.yaml" in names and "families.yaml" in names
    assert "shell.command-not-found" in base.by_id and "conda.not-found" in base.by_id


def test_files_are_merged_and_ids_unique_across_them(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", HEAD + "faults:\n" + fault("one.alpha", r"\balpha failure\b"))
    write(tmp_path, "b.yaml", HEAD + "faults:\n" + fault("two.beta", r"\bbeta failure\b"))
    merged = kb.load(tmp_path, use_cache=False)
    assert [f.id for f in merged.faults] == ["one.alpha", "two.beta"]
    assert sorted(f.fault for f in explain_text("beta failure\nalpha failure\n", kb=merged)) == ["one.alpha", "two.beta"]
    write(tmp_path, "c.yaml", HEAD + "faults:\n" + fault("one.alpha", r"\bgamma failure\b"))
    with pytest.raises(RecipeError) as err:
        kb.load(tmp_path, use_cache=False)
    assert "c.yaml" in str(err.value) and "duplicate fault id 'one.alpha'" in str(err.value) and "a.yaml" in str(err.value)


def test_tables_and_contexts_may_be_used_from_another_file(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", HEAD + textwrap.dedent("""\
        tables:
          things:
            widget: {what: a widget maker}
            "*": {what: "something else: {name}"}
        """))
    write(tmp_path, "b.yaml", HEAD + "faults:\n" + fault(
        "x.missing", r"\bno such thing: (?P<name>\w+)", "    lookup: {table: things, key: name}\n",
        title="{name} is missing", cause="{what}"))
    merged = kb.load(tmp_path, use_cache=False)
    found = explain_text("no such thing: widget\nno such thing: gadget\n", kb=merged)
    assert [(f.title, f.cause) for f in found] == [("widget is missing", "a widget maker"),
                                                     ("gadget is missing", "something else: gadget")]


@pytest.mark.parametrize("body, words", [
    (fault("x.bad", r"\bboom (?P<what>\w+)", title="{other}"), "placeholder(s) {other}"),
    (fault("x.bad", r"\bboom (?P<what>\w+)", "    lookup: {table: nowhere, key: what}\n"), "unknown table 'nowhere'"),
    (fault("x.bad", r"\bboom\b", "    refines: [x.nothing]\n"), "unknown fault id 'x.nothing'"),
])
def test_templates_are_validated(tmp_path: Path, body: str, words: str) -> None:
    write(tmp_path, "a.yaml", HEAD + "faults:\n" + body)
    with pytest.raises(RecipeError) as err:
        kb.load(tmp_path, use_cache=False)
    assert words in str(err.value)


def test_a_table_needs_its_default_row(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", HEAD + "tables:\n  things:\n    widget: {what: w}\n")
    with pytest.raises(RecipeError) as err:
        kb.load(tmp_path, use_cache=False)
    assert '"*" row' in str(err.value)


def test_the_cache_is_keyed_on_every_file(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", HEAD + "faults:\n" + fault("one.alpha", r"\balpha failure\b"))
    second = write(tmp_path, "b.yaml", HEAD + "faults:\n" + fault("two.beta", r"\bbeta failure\b"))
    assert {f.id for f in kb.load(tmp_path).faults} == {"one.alpha", "two.beta"}  # fills the cache
    second.write_text(HEAD + "faults:\n" + fault("two.gamma", r"\bgamma failure\b"), encoding="utf-8")
    assert {f.id for f in kb.load(tmp_path).faults} == {"one.alpha", "two.gamma"}
    write(tmp_path, "c.yaml", HEAD + "faults:\n" + fault("three.delta", r"\bdelta failure\b"))
    assert "three.delta" in {f.id for f in kb.load(tmp_path).faults}
    second.unlink()
    assert {f.id for f in kb.load(tmp_path).faults} == {"one.alpha", "three.delta"}


# -- counting in bulk answers what looking at every line answers ----------------------------------

MESSAGES = [
    "-bash: module: command not found",
    "zsh: command not found: pip",
    "ModuleNotFoundError: No module named 'yaml'",
    "sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified",
    "slurmstepd: error: *** JOB {n} ON gc-poplar-{d} CANCELLED AT 2024-04-20T09:09:37 DUE TO TIME LIMIT ***",
    "urllib.error.HTTPError: HTTP Error 503: Service Unavailable",
    "urllib.error.HTTPError: HTTP Error 404: Not Found",
    "Segmentation fault (core dumped)",
    "[bo@gc-poplar-0{d} ~]$ gc-monitor --no-card-info",
    "OSError: [Errno 122] Disk quota exceeded: '/home/ann/checkpoint_{n}.mdl'",
    "Saved checkpoint model_dir/checkpoint_{n}.mdl",
    "epoch {d} step {n} loss 0.{n}",
    "WARNING: Retrying (Retry(total={d}, connect=None, read=None, redirect=None, status=None)) after connection "
    "broken by 'NewConnectionError('<x object at 0x7f>: Failed to establish a new connection: [Errno 101] "
    "Network is unreachable')': /simple/torch/",
]


def _run(text: bytes, line_by_line: bool) -> dict:
    m = Matcher(kb.default())
    if line_by_line:
        m._settleable = [False] * len(m._settleable)
    for i in range(0, len(text), 1 << 20):
        m.feed(text[i:i + (1 << 20)])
    return {(f.fault, f.title): (f.hits, f.lines) for f in m.finish()}


def test_bulk_counting_equals_line_by_line() -> None:
    rnd = random.Random(5)
    lines = [rnd.choice(MESSAGES).format(n=rnd.randint(1, 99999), d=rnd.randint(1, 9)) for _ in range(60000)]
    text = ("\n".join(lines) + "\n").encode()
    assert len(text) > 3 << 20  # several blocks
    fast, slow = _run(text, False), _run(text, True)
    assert fast == slow
    limit = [v for k, v in fast.items() if k[0] == "slurm.time-limit"]
    assert limit and limit[0][0] == sum("DUE TO TIME LIMIT" in ln for ln in lines)
    errors = [k for k in fast if k[0] == "network.http-server-error"]
    assert errors and fast[errors[0]][0] == sum("HTTP Error 503" in ln for ln in lines)  # 404 is not a 5xx


def test_every_recipe_platform_is_known_to_the_knowledge_base() -> None:
    """`explain --platform P` and entries' `platforms:` accept every platform a recipe defines."""
    from envdoctor.knowledge.kb import PLATFORMS
    from envdoctor.recipe import catalog

    assert sorted(PLATFORMS) == catalog().platforms()


# -- digit-value signatures and near rules, counted in bulk ----------------------------------------

DIGIT_MESSAGES = [
    "urllib.error.HTTPError: HTTP Error {a}{b}{c}: Service Unavailable",
    "POPLAR version {a}.{b}.0 ({n}a{c})",
    "(base) [jdoe@sn30-r{a}-h{b} ~]$ srun python lenet.py compile -b={c}",
    "openai.AuthenticationError: Error code: 40{a} - Token is either not active or invalid",
    "A module that was compiled using NumPy {a}.x cannot be run in",
    "WARNING: Retrying (Retry(total={a}, connect=None, read=None, redirect=None, status=None)) after connection "
    "broken by 'NewConnectionError('<x object at 0x7f>: Failed to establish a new connection: [Errno 1{a}{b}] "
    "Network is unreachable')': /simple/torch/",
    "OSError: [Errno 122] Disk quota exceeded: '/home/ann/checkpoint_{n}.mdl'",
    "Saved checkpoint model_dir/checkpoint_{n}.mdl",
    "Segmentation fault (core dumped)",
    "[bo@gc-poplar-0{a} ~]$ gc-monitor --no-card-info",
    "epoch {a} step {n} loss 0.{n}",
]


def _digit_log(count: int, seed: int, unique: bool = False) -> bytes:
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        line = rnd.choice(DIGIT_MESSAGES).format(a=rnd.randint(0, 9), b=rnd.randint(0, 9), c=rnd.randint(0, 9),
                                                 n=rnd.randint(1, 99999))
        # Unique words, not numbers: digits are alike in a line's key.
        out.append(line + (" w" + "".join(chr(97 + int(c)) for c in str(i)) if unique else ""))
    return ("\n".join(out) + "\n").encode()


def test_digit_values_and_near_rules_in_bulk_equal_line_by_line() -> None:
    """Lines of one key that differ in the digits a signature names (HTTP 5xx, Errno 101, SDK
    versions, host numbers) and near-context rules: bulk answers (joined search, per-key
    context holders) are those of looking at each line alone."""
    text = _digit_log(50000, 9)
    assert len(text) > 3 << 20
    fast, slow = _run(text, False), _run(text, True)
    assert fast == slow
    assert any(k[0] == "network.http-server-error" for k in fast)


def test_mostly_distinct_lines_in_bulk_equal_line_by_line() -> None:
    """A block of mostly distinct lines takes the per-block shape pass instead of a shape per key."""
    text = _digit_log(15000, 4, unique=True)
    fast, slow = _run(text, False), _run(text, True)
    assert fast == slow
    assert any(k[0] == "network.http-server-error" for k in fast)


def test_joined_search_equals_searching_each_line() -> None:
    """A residual signature run over lines joined by newlines finds, per line, what searching
    that line alone finds (first regex to match, its first match and names)."""
    m = Matcher(kb.default())
    pats = [r"\bHTTP Error 5\d\d\b", r"^\(base\) \[?[\w.-]+@sn30-r\d+-h\d+", r"code: 40[13]\b$",
            r"\b(?:Auth|Perm)Error: (?P<code>\d)1\b"]
    sigs = [kb.Signature("t.x", p, frozenset()) for p in pats]
    rnd = random.Random(2)
    words = ["HTTP Error 503", "HTTP Error 5031", "HTTP Error 404", "(base) [u@sn30-r1-h2", "x (base) [u@sn30-r1-h2",
             "code: 401", "code: 4013", "AuthError: 11", "PermError: 71 AuthError: 21", "xAuthError: 11", ""]
    sel = [" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 3))).encode() for _ in range(400)]
    plan = [("t.x", [m._bytes_regex(s) for s in sigs], True, [], tuple(sigs))]
    joined = m._search_joined(plan, sel)
    assert joined is not None
    expect = []
    for k, raw in enumerate(sel):
        for s in sigs:
            mt = re.compile(s.pattern.encode()).search(raw)
            if mt is not None:
                expect.append((k, tuple(sorted((a, v.decode()) for a, v in mt.groupdict().items() if v))))
                break
    assert joined[0] == expect


def test_regexes_that_may_see_a_newline_are_searched_line_by_line() -> None:
    m = Matcher(kb.default())
    for pattern in [r"error\s+code", r"[^x]+ failed", r"(?s)a.b", r"(?<=x)y", r"\Aerror", r"(a)\1", r"x(?x) y",
                    r"\Bfoo"]:
        assert m._line_local_regex(kb.Signature("t.x", pattern, frozenset())) is None, pattern
    for pattern in [r"\bHTTP Error 5\d\d\b", r"^foo$", r"\S+ failed", r"\w+-\d"]:
        assert m._line_local_regex(kb.Signature("t.x", pattern, frozenset())) is not None, pattern


def test_literal_prefix() -> None:
    assert kb.literal_prefix(r"\bHTTP Error 5\d\d\b") == "HTTP Error 5"
    assert kb.literal_prefix(r"^\(base\) \[?x") == "(base) "
    assert kb.literal_prefix(r"\b(?:A|B): x") == ""
    assert kb.literal_prefix(r"(?i)\bfoo") == ""  # case ignored: a plain find would miss
    assert kb.literal_prefix(r"a*b") == ""


def test_residual_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exact lines searched one by one (few lines of a key in a block) are remembered, boundedly."""
    import envdoctor.knowledge.matcher as mm

    monkeypatch.setattr(mm, "RESIDUAL_MEMO", 3)
    rnd = random.Random(8)
    lines = []
    for _ in range(300):
        lines += [f"urllib.error.HTTPError: HTTP Error {rnd.choice('45')}0{rnd.randint(0, 9)}: Service Unavailable"]
        lines += [f"epoch {rnd.randint(0, 9)} step {rnd.randint(0, 9999)}"] * 1000
    text = ("\n".join(lines) + "\n").encode()
    m = Matcher(kb.default())
    for i in range(0, len(text), 1 << 15):  # small blocks: a few lines of the key each
        m.feed(text[i:i + (1 << 15)])
    found = m.finish()
    assert 0 < len(m._resid_memo) <= 3 + 8
    http = [f for f in found if f.fault == "network.http-server-error"]
    assert http and http[0].hits == sum("HTTP Error 5" in ln for ln in lines)


def test_shapes_of_a_block_from_its_keys() -> None:
    """A line's shape looked up from its key's equals the shape of the line itself."""
    from envdoctor.knowledge.matcher import DIGITS, KEY, SHAPE, _Shapes

    block = b"Step 12, Loss=0.5\nStep 99, Loss=1.25\nERROR: no space\nStep 7, Loss=3.0"
    keys = block.translate(KEY).split(b"\n")
    lazy = _Shapes(keys, {k: k.translate(SHAPE, DIGITS) for k in set(keys)}, None)
    direct = block.translate(SHAPE, DIGITS).split(b"\n")
    assert [lazy[i] for i in range(len(lazy))] == direct == lazy.full()
    assert lazy.index(direct[2]) == 2
    assert _Shapes(keys, None, direct)[1] == direct[1]


def test_line_memos_are_bounded_in_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Long lines kept as memo keys: the memos are dropped past MEMO_BYTES, answers unchanged."""
    import envdoctor.knowledge.matcher as mm

    monkeypatch.setattr(mm, "MEMO_BYTES", 4096)
    pad = " x" * 2000
    lines = []
    for i in range(200):
        lines += [f"urllib.error.HTTPError: HTTP Error 5{i % 10}{i % 7}: Service Unavailable{pad}"]
        lines += [f"epoch {i % 10} step {i}"] * 1000
    text = ("\n".join(lines) + "\n").encode()
    m = Matcher(kb.default())
    for i in range(0, len(text), 1 << 15):
        m.feed(text[i:i + (1 << 15)])
    found = m.finish()
    assert m._memo_bytes <= 4096 + 8 * (len(lines[0]) + 64)
    http = [f for f in found if f.fault == "network.http-server-error"]
    assert http and http[0].hits == 200
