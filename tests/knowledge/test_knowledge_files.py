"""Every knowledge/*.yaml file is one knowledge base: merged, validated across files, cached on
all of them; families' templates are checked at load."""
from __future__ import annotations

import random
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
