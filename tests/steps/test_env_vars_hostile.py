"""Recipe values can never break out of their quoting in ~/.bashrc.

Hostile values (quotes, `$()`, backticks, `;`, `&&`, backslashes, `!`, Unicode spaces)
are written by the env-vars step into a real ~/.bashrc and read back by a real login
shell: the value comes back exactly, nothing it spells runs, and a rerun leaves the
file byte-identical. Values that cannot stay on one line (NUL, newline, other control
characters, line separators) are refused in one line with exit 2, at recipe load and
after templating. A block broken by an older envdoctor is replaced whole.
"""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from envdoctor.errors import StepFailed, UsageError
from envdoctor.recipe import Step, Variable, load
from envdoctor.steps import env_vars
from envdoctor.steps.base import NoProgress

STEP = Step("env-vars:h", "env-vars", (("variables", ["HOSTILE", "OTHER"]),))
ORIGINAL = b"# .bashrc\nalias ll='ls -l'\n"
FRAGMENTS = ["'", '"', "\\", "\\'", "'\\''", "$(touch pwned-dollar)", "`touch pwned-tick`", "; touch pwned-semi;",
             "&& touch pwned-and", "|| touch pwned-or", "| touch pwned-pipe", "$HOME", "${HOME}", "$'x'", "#",
             " ", "!!", "!-1", "*", "?", "~", "%s", "\u00a0", "\u2003", "\u3000", "\u200b", "\ufeff", "é", "\U0001f600",
             "> pwned-redirect", "<(touch pwned-proc)", "\\n", "EOF", "}"]
# Random text too, without the characters a value may not hold (they are tested below).
SAFE_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Cf")), max_size=6)
values = st.lists(st.one_of(st.sampled_from(FRAGMENTS), SAFE_TEXT), max_size=8).map(lambda parts: "v" + "".join(parts))


def _login(node, script: str) -> str:
    """stdout of a real interactive login shell of the node's user."""
    done = subprocess.run(["bash", "-l", "-i", "-c", script], env=node.target.login_env(), cwd=node.home,
                          capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    return done.stdout.decode("utf-8", "surrogateescape")


def _recipe(node, hostile: str, other: str):
    return replace(node.recipe, variables=(Variable("HOSTILE", hostile, False, "~/.bashrc"),
                                           Variable("OTHER", other, True, "~/.bashrc")))


def _side_effects(home: Path) -> list[str]:
    return sorted(p.name for p in home.iterdir() if p.name.startswith("pwned") or p.name.startswith("<"))


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=values, second=values, other=values)
def test_hostile_values_round_trip_through_a_real_login_shell(node, first: str, second: str, other: str) -> None:
    for value in (first, second, other):
        assume("{home}" not in value and "{user}" not in value)
    bashrc = node.home / ".bashrc"
    bashrc.write_bytes(ORIGINAL)
    for value in (first, second):  # a first write, then an update of the block in place
        ctx = node.ctx(_recipe(node, value, other))
        env_vars.apply(STEP, ctx, NoProgress())
        assert env_vars.is_done(STEP, ctx) is None
        out = _login(node, 'printf "%s|%s|%s" "$HOSTILE" "$OTHER" "$other"')
        assert out == f"{value}|{other}|{other}"
        assert _side_effects(node.home) == []
        data = bashrc.read_bytes()
        assert data.startswith(ORIGINAL) and data.count(env_vars.BEGIN.encode()) == 1
        assert data.count(b"\n") == ORIGINAL.count(b"\n") + 1 + 6  # a blank line, a block of 2 + 3 + 1 lines
        env_vars.apply(STEP, ctx, NoProgress())  # a rerun is a no-op
        assert bashrc.read_bytes() == data


BAD = ["a\nb", "a\rb", "a\x00b", "a\u2028b", "a\u2029b", "a\x85b", "a\x0cb", "a\x0bb", "a\x1eb", "a\x1bb", "a\u202eb",
       "x\n$(touch pwned)"]


def _yaml_string(value: str) -> str:
    """A YAML double-quoted scalar holding exactly `value` (escapes for everything odd)."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif " " <= char <= "~":
            out.append(char)
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def _recipe_file(node, value: str, name: str = "DEMO_ROOT") -> Path:
    text = (node.root / "recipe-0.yaml").read_text()
    path = node.root / "recipe-bad.yaml"
    path.write_text(text.replace('  - {name: DEMO_ROOT, value: /software/demo}',
                                 f"  - {{name: {_yaml_string(name)}, value: {_yaml_string(value)}}}"))
    return path


@pytest.mark.parametrize("value", BAD, ids=[repr(v) for v in BAD])
def test_values_that_cannot_stay_on_one_line_are_refused_at_load(node, value: str) -> None:
    path = _recipe_file(node, value)
    with pytest.raises(UsageError) as caught:
        load(path)
    message = str(caught.value)
    assert "\n" not in message and value not in message  # one line; the value (maybe a secret) not echoed
    assert message.startswith(f"{path}:") and ".value:" in message and "U+" in message


@pytest.mark.parametrize("name", ["A;touch pwned", "1A", "A B", "A$(x)"])
def test_names_that_are_not_variable_names_are_refused_at_load(node, name: str) -> None:
    with pytest.raises(UsageError, match=r"\.name: is not a shell variable name"):
        load(_recipe_file(node, "ok", name))


def test_cli_says_one_line_and_exits_2(node) -> None:
    path = _recipe_file(node, "http://proxy:3128\n$(touch pwned)")
    done = subprocess.run([sys.executable, "-m", "envdoctor", "recipe", "validate", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = [ln for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
    # `recipe validate` lists every problem, one line each (the step naming the refused
    # variable is the second); the first is the value, said in one line without echoing it.
    assert "line feed" in lines[0] and "variables[1].value" in lines[0]
    assert all(ln.startswith("envdoctor: ") for ln in lines) and "proxy:3128" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_a_value_that_templating_breaks_is_refused_at_plan_time(node) -> None:
    """`{home}` on a node whose home path holds a newline: refused before anything is written."""
    odd = node.home.parent / "stu\ndent"
    odd.mkdir()
    (odd / ".bashrc").write_bytes(ORIGINAL)
    ctx = node.ctx(_recipe(node, "{home}/data", "ok"))
    ctx.target = replace(ctx.target, home=str(odd))
    with pytest.raises(UsageError, match=r"variables: HOSTILE: value on this node contains a line feed"):
        env_vars.is_done(STEP, ctx)
    with pytest.raises(UsageError):
        env_vars.apply(STEP, ctx, NoProgress())
    assert (odd / ".bashrc").read_bytes() == ORIGINAL


# What envdoctor before this fix left after three runs with HOSTILE="a\nb'" (the block kept the
# continuation line and appended a fresh copy each time; made with its own update_block), plus
# a repeated block further down: the stray quotes turn later values into code.
CORRUPT = ("# .bashrc\nalias ll='ls -l'\n\n# >>> envdoctor >>>\n"
           f"{env_vars.HEADER}\n"
           "b'\"'\"''\nb'\"'\"''\nexport HOSTILE='a\nb'\"'\"''\nexport OTHER='$(touch pwned-old)'\n"
           "# <<< envdoctor <<<\n"
           "echo user line after\n"
           "# >>> envdoctor >>>\n"
           "export HOSTILE='a\n"
           "# <<< envdoctor <<<\n")


def test_a_block_broken_by_an_older_envdoctor_is_replaced_whole(node) -> None:
    bashrc = node.home / ".bashrc"
    bashrc.write_text(CORRUPT)
    ctx = node.ctx(_recipe(node, "fixed; `touch pwned-new`", "$(touch pwned-other)"))
    assert "broken line" in (env_vars.is_done(STEP, ctx) or "")
    plan = env_vars.plan(STEP, ctx)
    assert any(a.kind == "note" and "replaced by a clean one" in a.text for a in plan)
    [diff] = [a.text for a in plan if a.kind == "diff"]
    assert "-b'\"'\"''" in diff and "-export HOSTILE='a" in diff
    env_vars.apply(STEP, ctx, NoProgress())
    text = bashrc.read_text()
    assert text.startswith("# .bashrc\nalias ll='ls -l'\n\n# >>> envdoctor >>>\n")
    assert text.endswith("# <<< envdoctor <<<\necho user line after\n")
    assert text.count(env_vars.BEGIN) == 1 and "b'" not in text
    assert env_vars.is_done(STEP, ctx) is None
    out = _login(node, 'printf "%s|%s" "$HOSTILE" "$OTHER"')
    assert out.endswith("fixed; `touch pwned-new`|$(touch pwned-other)")
    assert _side_effects(node.home) == []
    before = bashrc.read_bytes()
    env_vars.apply(STEP, ctx, NoProgress())
    assert bashrc.read_bytes() == before


def test_a_users_later_line_that_overrides_the_block_is_named(node) -> None:
    """bash keeps the last export: a user's own line below the block is said, not a "bug"."""
    bashrc = node.home / ".bashrc"
    ctx = node.ctx(_recipe(node, "wanted", "x"))
    env_vars.apply(STEP, ctx, NoProgress())
    bashrc.write_bytes(bashrc.read_bytes() + b"export HOSTILE=mine\n")
    line = bashrc.read_bytes().count(b"\n")
    why = env_vars.is_done(STEP, ctx)
    assert why == f"line {line} of ~/.bashrc sets HOSTILE again after envdoctor's block"
    assert any(a.kind == "note" and why in a.text for a in env_vars.plan(STEP, ctx))
    before = bashrc.read_bytes()
    with pytest.raises(StepFailed, match="remove or change that line"):
        env_vars.apply(STEP, ctx, NoProgress())
    assert bashrc.read_bytes() == before  # the user's line is theirs


def test_the_plan_diff_shows_what_the_file_holds(node) -> None:
    """Separators and control characters are shown as escapes, one diff line per file line."""
    (node.home / ".bashrc").write_bytes("# a\u2028b\x0cc\x85d\n".encode())
    [diff] = [a.text for a in env_vars.plan(STEP, node.ctx(_recipe(node, "v", "w"))) if a.kind == "diff"]
    assert " # a\\u2028b\\x0cc\\x85d\n" in diff
    assert not any(ch in diff for ch in "\u2028\x0c\x85\r")
