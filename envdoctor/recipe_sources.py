"""Where each recipe fact comes from: the `source:` of every fact-bearing mapping.

A recipe names the primary sources it was read from once, in a top-level mapping of
short names to a repository at a commit (or a URL):

    sources:
      UG: "argonne-lcf/user-guides @ 7d04a3f9"
      MZ: "Cerebras/modelzoo @ f1fd1e09"

and every mapping that carries facts (the top level, hosts, scheduler, environment, each
requirement, repo, edit, variable, sdk command, setup step with its own arguments, run and
run parameter) says where its facts were read:

    source: "UG docs/ai-testbed/cerebras/running-a-model-or-program.md"
    source: ["UG docs/...", "MZ src/.../111m.yaml"]
    source: {all: "UG docs/...", performance: "UG docs/... (sample log: Processed 48000 ...)"}

A citation is `NAME path [note]` (NAME from `sources:`), or a full `owner/repo path @ commit
[note]`, or an `https://` URL, or `unsourced: why` for a fact nobody could open. A run
with `performance` references names the published log its reference was computed from
(a `performance` key in its source mapping). `recipe validate` reports every fact-bearing
mapping without a source.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

_REPO_AT = re.compile(r"^[\w.-]+/[\w.-]+ @ [0-9a-f]{7,40}$")
_FULL = re.compile(r"^[\w.-]+/[\w.-]+ \S.* @ [0-9a-f]{7,40}\b")
_URL = re.compile(r"^https?://\S+")
_ALIAS = re.compile(r"^(?P<name>[A-Za-z][\w-]*) (?P<rest>\S.*)$")
UNSOURCED = "unsourced:"
# Step fields that only point at facts cited elsewhere (the repo, the edit, the variables).
_STEP_REFS = frozenset(("kind", "id", "repo", "edit", "variables", "title", "source"))


def aliases(data: Mapping[str, Any]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The top-level `sources:` mapping, and (key, problem) for each malformed entry."""
    raw = data.get("sources")
    if raw is None:
        return {}, []
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return {}, []  # the older form: free-text sources, no names to cite by
    if not isinstance(raw, Mapping):
        return {}, [("sources", "expected a mapping NAME: \"owner/repo @ commit\" (or a URL)")]
    out: dict[str, str] = {}
    problems = []
    for name, value in raw.items():
        text = str(value) if isinstance(value, str) else ""
        if not (_REPO_AT.match(text) or _URL.match(text)):
            problems.append((f"sources.{name}", f"{value!r} is not \"owner/repo @ commit\" or a URL"))
            continue
        out[str(name)] = text
    return out, problems


def check_citation(text: Any, names: Mapping[str, str]) -> str:
    """'' when `text` is a valid citation, else what is wrong with it."""
    if not isinstance(text, str) or not text.strip():
        return "a citation is a non-empty string"
    text = text.strip()
    if text.startswith(UNSOURCED):
        return "" if text[len(UNSOURCED):].strip() else "say why the fact is unsourced (unsourced: why)"
    if _URL.match(text) or _FULL.match(text):
        return ""
    m = _ALIAS.match(text)
    if m and m.group("name") in names:
        return ""
    if m and not m.group("name").count("/"):
        known = ", ".join(sorted(names)) or "none defined"
        return f"{m.group('name')!r} is not a source named in `sources:` ({known})"
    return "expected `NAME path`, `owner/repo path @ commit`, a URL, or `unsourced: why`"


def expand(text: str, names: Mapping[str, str]) -> str:
    """`UG docs/x.md` -> `argonne-lcf/user-guides docs/x.md @ 7d04a3f9`."""
    m = _ALIAS.match(text.strip())
    if not m or m.group("name") not in names:
        return text.strip()
    base = names[m.group("name")]
    if _URL.match(base):
        return f"{base} {m.group('rest')}"
    repo, _, commit = base.partition(" @ ")
    rest = m.group("rest")
    path, sep, note = rest.partition(" ")
    return f"{repo} {path} @ {commit}" + (f" {note}" if sep else "")


def _citations(value: Any) -> Iterator[tuple[str, Any]]:
    """(field, citation) pairs of a `source:` value; field '' covers the whole mapping."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            for cite in item if isinstance(item, list) else [item]:
                yield str(key), cite
    elif isinstance(value, list):
        for cite in value:
            yield "", cite
    else:
        yield "", value


def _fact_mappings(data: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(key path, mapping) of every mapping that carries facts and so needs a source."""
    yield "", data
    for key in ("hosts", "scheduler", "environment"):
        if isinstance(data.get(key), Mapping):
            yield key, data[key]
    for key in ("requirements", "repos", "edits", "variables", "sdk"):
        items = data.get(key)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, Mapping):
                yield f"{key}[{i}]", item
    steps = data.get("steps")
    for i, item in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(item, Mapping) and set(map(str, item)) - _STEP_REFS:
            yield f"steps[{i}]", item
    extra = data.get("extra")
    drift = extra.get("drift") if isinstance(extra, Mapping) else None
    for i, item in enumerate(drift if isinstance(drift, list) else []):
        if isinstance(item, Mapping):
            yield f"extra.drift[{i}]", item
    runs = data.get("runs")
    for name, run in (runs.items() if isinstance(runs, Mapping) else []):
        if not isinstance(run, Mapping):
            continue
        yield f"runs.{name}", run
        params = run.get("params")
        for pname, param in (params.items() if isinstance(params, Mapping) else []):
            if isinstance(param, Mapping):
                yield f"runs.{name}.params.{pname}", param


def survey(data: Mapping[str, Any]) -> tuple[dict[str, tuple[str, ...]], list[tuple[str, str]], list[str]]:
    """({key path: expanded citations}, [(key path, problem)], [key paths without a source]).

    Problems are malformed citations (always errors); the missing list is what `recipe
    validate` reports as facts without a source."""
    names, problems = aliases(data)
    cited: dict[str, tuple[str, ...]] = {}
    missing: list[str] = []
    for path, mapping in _fact_mappings(data):
        where = f"{path}.source" if path else "source"
        if "source" not in mapping:
            missing.append(path or "(top)")
            continue
        found = []
        for field, cite in _citations(mapping["source"]):
            problem = check_citation(cite, names)
            if problem:
                problems.append((where + (f".{field}" if field else ""), problem))
                continue
            if field and field != "all" and field not in mapping:
                problems.append((f"{where}.{field}", f"{path or 'the recipe'} has no key {field!r} to cite"))
                continue
            found.append(("" if field in ("", "all") else f"{field}: ") + expand(str(cite), names))
        if path.startswith("runs.") and path.count(".") == 1 and mapping.get("performance") \
                and not (isinstance(mapping["source"], Mapping) and "performance" in mapping["source"]):
            problems.append((where, "a run with performance references names the published log they were "
                                    "computed from: add `performance: \"<citation of the log>\"` to its source"))
        cited[path or "(top)"] = tuple(found)
    return cited, problems, missing


def line_of(data: Any, keypath: str) -> int | None:
    """The YAML line of `a.b[2].c` in a ruamel round-trip document (None when unknown)."""
    node, line = data, None
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", keypath):
        lc = getattr(node, "lc", None)
        try:
            if part.startswith("["):
                index = int(part[1:-1])
                line = int(lc.item(index)[0]) + 1 if lc is not None else line
                node = node[index]
            else:
                line = int(lc.key(part)[0]) + 1 if lc is not None else line
                node = node[part]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line
