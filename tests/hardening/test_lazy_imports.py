"""Imports inside functions only where start-up time needs them (docs/internals.md, "Lazy imports").

The command layer imports lazily by design: `envdoctor/__main__.py`, `envdoctor/cli.py` and
`envdoctor/commands/*` import a command's machinery when the command runs, so that
`envdoctor --version`, `--help` and `check` start fast. Everywhere else an import of an
envdoctor module, or of a heavy third-party or standard-library module, sits at the top of the
module, or says on its line why it waits: `# lazy: <why>` ("only `explain --json` needs it",
"ruamel.yaml, ~30 modules, only when the knowledge base is not cached"). An import right after
an annotated one of the same package, in the same block, shares its reason
(`from ruamel.yaml.error import ...` under `from ruamel.yaml import YAML  # lazy: ...`). A
function-level import that only hides an import cycle is a layering problem to fix (move what
both modules need below them), not to annotate.

The second test imports every module of the package on its own, with no envdoctor module
loaded before it, so that an import moved to the top that closes a cycle fails here as an
ImportError instead of depending on which module a command happened to import first.
"""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

PACKAGE = Path(__file__).resolve().parents[1].parent / "envdoctor"
# Not envdoctor's code: files the simulated node's own Python runs, files the recipes ship.
NOT_CODE = ("targets/sim/payload/", "recipes/files/")
# The command layer: lazy by design (each command imports its machinery when it runs).
LAZY_BY_DESIGN = ("__main__.py", "cli.py", "commands/")
# Third-party and standard-library modules that cost start-up time (their own imports pull
# in tens of modules: typer/click ~30 ms, requests ~60 ms, urllib.request with http, email and ssl ~30 ms).
HEAVY = ("typer", "click", "requests", "virtualenv", "psutil", "packaging", "yaml", "ruamel", "platformdirs",
         "urllib.request", "http.client", "ssl", "email", "tempfile", "traceback")
REASON = re.compile(r"#.*\blazy:\s*\S")

# Function-level imports without a reason in files whose owners have still to move or annotate
# them: (file under envdoctor/, imported module). A ratchet: entries only go (the test fails on
# an entry that no longer matches anything, so that a cleared one is removed), never come.
ALLOWED: Set[Tuple[str, str]] = {
    ("targets/sim/accelsim/__main__.py", "envdoctor.targets.sim.accelsim.sambanova"),
    ("targets/sim/builder.py", "envdoctor.proc"),
    ("targets/sim/builder.py", "envdoctor.targets"),
    ("targets/sim/builder.py", "envdoctor.targets.sim.faults"),
    ("targets/sim/builder.py", "envdoctor.targets.sim.inference"),
    ("targets/sim/builder.py", "envdoctor.targets.sim.ready"),
    ("targets/sim/builder.py", "platformdirs"),
    ("targets/sim/faults.py", "envdoctor.targets.sim.inference"),
    ("targets/sim/faults.py", "packaging.specifiers"),
    ("targets/sim/faults.py", "packaging.version"),
    ("targets/sim/inference.py", "envdoctor.proc"),
    ("targets/sim/inference.py", "envdoctor.steps.fetch"),
    ("targets/sim/inference.py", "envdoctor.targets.sim.interpreters"),
    ("targets/sim/ready.py", "ruamel.yaml"),
    ("targets/sim/target.py", "envdoctor.proc"),
    ("targets/sim/target.py", "envdoctor.targets.sim.inference"),
    ("targets/sim/upstreams.py", "envdoctor.recipe"),
    ("targets/sim/wheels.py", "envdoctor.recipe"),
    ("targets/sim/wheels.py", "virtualenv.seed.wheels.embed"),
}


def _modules() -> Iterator[Tuple[str, Path]]:
    """(dotted name, file) of every module of the package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(NOT_CODE):
            continue
        parts = ["envdoctor"] + list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


MODULES = dict(_modules())
IS_PACKAGE = {name for name, path in MODULES.items() if path.name == "__init__.py"}


def _imported(node: ast.stmt, module: str) -> List[str]:
    """The modules an import statement of `module` names (`from envdoctor import proc` is
    envdoctor.proc; `from envdoctor import __version__` is envdoctor)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = module.split(".") if module in IS_PACKAGE else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    return sorted({f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source for a in node.names})


def _watched(name: str) -> bool:
    return name == "envdoctor" or name.startswith("envdoctor.") or any(
        name == h or name.startswith(h + ".") for h in HEAVY)


def _function_imports(tree: ast.Module) -> Iterator[Tuple[ast.stmt, Optional[ast.stmt]]]:
    """(import statement inside a function, the statement just before it in the same block)."""
    def blocks(node: ast.AST, in_function: bool) -> Iterator[Tuple[ast.stmt, Optional[ast.stmt]]]:
        for field in ("body", "orelse", "finalbody", "handlers"):
            stmts = getattr(node, field, None)
            if not isinstance(stmts, list):
                continue
            previous: Optional[ast.stmt] = None
            for stmt in stmts:
                if in_function and isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    yield stmt, previous
                inner = in_function or isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
                yield from blocks(stmt, inner)
                previous = stmt
    yield from blocks(tree, False)


def reasonless(source: str, module: str) -> List[Tuple[int, str]]:
    """(line, imported module) of the watched function-level imports of `source` (the text of
    `module`) that give no `# lazy:` reason."""
    lines = source.splitlines()
    out: List[Tuple[int, str]] = []
    explained: Dict[int, Set[str]] = {}  # id of an import with a reason -> its top-level packages
    for stmt, previous in _function_imports(ast.parse(source)):
        names = _imported(stmt, module)
        roots = {name.split(".")[0] for name in names}
        if REASON.search(lines[stmt.lineno - 1]) or (previous is not None and roots <= explained.get(id(previous), set())):
            explained[id(stmt)] = roots
            continue
        out += [(stmt.lineno, name) for name in names if _watched(name)]
    return out


def unexplained() -> Dict[Tuple[str, str], List[int]]:
    """(file, module) -> lines of function-level imports outside the command layer that give
    no `# lazy:` reason."""
    found: Dict[Tuple[str, str], List[int]] = {}
    for module, path in MODULES.items():
        rel = path.relative_to(PACKAGE).as_posix()
        if not rel.startswith(LAZY_BY_DESIGN):
            for line, name in reasonless(path.read_text(encoding="utf-8"), module):
                found.setdefault((rel, name), []).append(line)
    return found


def test_function_level_imports_say_why() -> None:
    found = unexplained()
    new = sorted(f"envdoctor/{rel}:{line}: {name}" for (rel, name), lines in found.items()
                 if (rel, name) not in ALLOWED for line in lines)
    assert not new, ("imports inside functions with no reason: move each to the top of its module "
                     "(python -X importtime shows it adds nothing to --version, --help, check or "
                     "explain) or say why on its line with `# lazy: <why>`:\n  " + "\n  ".join(new))
    cleared = sorted(f"{rel}: {name}" for rel, name in ALLOWED if (rel, name) not in found)
    assert not cleared, "cleared: remove these entries from ALLOWED:\n  " + "\n  ".join(cleared)


def test_the_rule_sees_an_unexplained_import() -> None:
    """The scanner itself: a reason on the first line counts (or on the import of the same
    package just before); nothing else does; module-level imports, TYPE_CHECKING blocks and
    modules that are not watched are not its business."""
    source = '''
import typer
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from envdoctor.recipe import Recipe
def f():
    from envdoctor import proc
    import requests  # lazy: only the download needs it
    from requests.adapters import HTTPAdapter
    from envdoctor import __version__
    import json
    from packaging.version import (  # lazy: a reason on the first line of a multi-line import
        Version,
    )
    if json:
        from ..recipe import catalog
    class Inner:
        def g(self):
            import click
            from urllib.parse import quote
            import urllib.request
'''
    assert reasonless(source, "envdoctor.knowledge.kb") == [
        (7, "envdoctor.proc"), (10, "envdoctor"), (16, "envdoctor.recipe"), (19, "click"), (21, "urllib.request")]


# Run in a fresh interpreter, reading module names on stdin: imports every module once in one
# process, recording who imports whom (import statements and importlib.import_module, as they
# run: a registry filled at import time counts; a module also depends on its packages); then
# imports each module that lies on a cycle of that graph first, with no envdoctor module
# loaded (third-party ones stay: they cannot be part of a cycle of envdoctor's). A module on no
# cycle imports the same way whichever module comes first. Prints the failures as JSON.
IMPORT_EACH = r"""
import builtins, importlib, json, sys, traceback

names = sys.stdin.read().split()
edges = {}
real_import, real_import_module = builtins.__import__, importlib.import_module


def ours(name):
    return name == "envdoctor" or name.startswith("envdoctor.")


def record(importer, target):
    if importer and ours(importer) and ours(target) and importer != target:
        edges.setdefault(importer, set()).add(target)


def recording_import(name, globals=None, locals=None, fromlist=(), level=0):
    module = real_import(name, globals, locals, fromlist, level)
    importer = (globals or {}).get("__name__", "")
    if ours(importer):
        full = name
        if level:
            package = globals.get("__package__") or importer.rpartition(".")[0]
            base = package.rsplit(".", level - 1)[0] if level > 1 else package
            full = base + ("." + name if name else "")
        record(importer, full)
        for item in fromlist or ():
            if full + "." + item in sys.modules:  # `from envdoctor import proc`: the module proc
                record(importer, full + "." + item)
    return module


def recording_import_module(name, package=None):
    module = real_import_module(name, package)
    record(sys._getframe(1).f_globals.get("__name__", ""), module.__name__)
    return module


def import_each(modules, failed):
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            failed[name] = "".join(traceback.format_exception_only(type(exc), exc)).strip()


def on_cycles():  # the modules in strongly connected components of more than one (Tarjan)
    index, low, stack, on_stack, found = {}, {}, [], set(), set()

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = [stack.pop()]
            while component[-1] != v:
                component.append(stack.pop())
            on_stack.difference_update(component)
            if len(component) > 1:
                found.update(component)

    for v in sorted(set(edges) | {w for ws in edges.values() for w in ws}):
        if v not in index:
            connect(v)
    return found


failed = {}
builtins.__import__, importlib.import_module = recording_import, recording_import_module
import_each(names, failed)
builtins.__import__, importlib.import_module = real_import, real_import_module
for name in list(sys.modules):
    if ours(name) and "." in name:
        record(name, name.rpartition(".")[0])
cyclic = on_cycles()
for name in sorted(cyclic & set(names)):
    for loaded in [m for m in sys.modules if ours(m)]:
        del sys.modules[loaded]
    import_each([name], failed)
print(json.dumps({"failed": failed, "cyclic": sorted(cyclic), "edges": sum(map(len, edges.values()))}))
"""


def test_every_module_imports_first() -> None:
    """Every module can be the first envdoctor module a process imports: a cycle closed at
    module level fails here, whichever module a command happens to import first."""
    names = [n for n in MODULES if not n.endswith("__main__")]
    done = subprocess.run([sys.executable, "-c", IMPORT_EACH], input=" ".join(names), capture_output=True,
                          text=True, timeout=120, cwd=str(PACKAGE.parent))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    failed = result["failed"]
    assert not failed, "modules that fail when imported first:\n" + "\n".join(f"  {k}: {v}" for k, v in failed.items())
    assert len(names) > 100 and result["edges"] > len(names)  # the walk found the package, the hook saw its imports
    # The cycles a package's __init__ closes with its own submodules (schedulers and its
    # implementations, knowledge and its renderer, ...) are the ones tested first.
    assert "envdoctor.schedulers.pbs" in result["cyclic"]
