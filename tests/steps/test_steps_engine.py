"""The engine on the hand-made node: plan data and rendering, apply + idempotence,
confirmation, the lock, the journal and cleanup of a failed or interrupted step."""
from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest
from stepkit import step

from envdoctor import engine
from envdoctor.errors import StepFailed, UsageError
from envdoctor.reports import Style
from envdoctor.steps import venv


def test_plan_apply_then_nothing_to_do(node):
    node.recipe = node.recipe_with(creator="virtualenv")
    ctx = node.ctx()
    plan = engine.make_plan(ctx)
    assert [s.done for s in plan.steps] == [False] * len(plan.steps)
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["schema"] == "envdoctor/setup-plan@1"
    by_id = {s["id"]: s for s in data["steps"]}
    assert by_id["git:demo"]["commands"] == ["git clone --branch v1 https://github.com/example/demo.git ~/R_1/demo"]
    assert by_id["env-vars"]["diffs"][0]["path"] == "~/.bashrc"
    assert by_id["pip-editable"]["commands"][-1] == "cd ~/R_1/demo && pip install -e ."
    text = engine.render(plan, Style(color=True))
    assert "\033[32m+export DEMO_ROOT=" in text and "$ virtualenv -p" in text
    assert "9 of 9 steps to apply" in engine.render(plan, Style())

    out = io.StringIO()
    engine.apply(plan, ctx, out=out, err=io.StringIO())
    assert out.getvalue().count("==> [") == 9
    again = engine.make_plan(node.ctx())
    assert [s.why for s in again.steps if not s.done] == []
    assert "nothing to do" in engine.render(again, Style())
    assert not os.path.exists(engine.Journal(node.target).path)


def test_confirm_refuses_without_a_terminal(node):
    plan = engine.make_plan(node.ctx(), [step(node.recipe, "env-vars")])
    with pytest.raises(UsageError, match="--yes"):
        engine.confirm(plan, yes=False, stdin=io.StringIO("y\n"))
    engine.confirm(plan, yes=True, stdin=io.StringIO(""))


def test_confirm_asks_on_a_terminal(node):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    plan = engine.make_plan(node.ctx(), [step(node.recipe, "env-vars")])
    engine.confirm(plan, yes=False, stdin=Tty("y\n"), out=io.StringIO())
    with pytest.raises(StepFailed, match="nothing was changed"):
        engine.confirm(plan, yes=False, stdin=Tty("n\n"), out=io.StringIO())


def test_lock_is_exclusive_and_names_the_holder(node):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from envdoctor import engine
            from envdoctor.targets import SimTarget
            t = SimTarget({str(node.home)!r}, "student", "h", {str(node.root)!r}, {{}})
            with engine.locked(t):
                print("locked", flush=True)
                time.sleep(30)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(UsageError, match=rf"another envdoctor setup is running .*pid {holder.pid}"), engine.locked(node.target):
            pass
    finally:
        holder.kill()
        holder.wait()
    with engine.locked(node.target):  # released when its holder died
        pass


def _failing_interpreter(node) -> None:
    """An interpreter that makes half a venv, then fails (like a full disk would)."""
    fake = node.root / "usr" / "bin" / f"python{node.python}"
    fake.unlink()
    fake.write_text('#!/bin/bash\nmkdir -p "$4/lib"; echo junk > "$4/lib/half"\necho "ERROR: No space left on device" >&2\nexit 1\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)


def test_failed_step_removes_only_what_it_made(node):
    _failing_interpreter(node)
    (node.home / "R_1").mkdir()
    (node.home / "R_1" / "mine.txt").write_text("keep")
    ctx = node.ctx()
    s = step(node.recipe, "venv")
    with pytest.raises(StepFailed) as info:
        engine._apply_one(s, venv, ctx, engine.Journal(node.target), io.StringIO())
    message = str(info.value)
    assert "\n" not in message and "venv" in message and "No space left on device" in message
    assert not (node.home / "R_1" / "venv_demo").exists()
    assert (node.home / "R_1" / "mine.txt").read_text() == "keep"


def test_failed_step_removes_the_parent_it_created(node):
    _failing_interpreter(node)
    with pytest.raises(StepFailed):
        engine._apply_one(step(node.recipe, "venv"), venv, node.ctx(), engine.Journal(node.target), io.StringIO())
    assert not (node.home / "R_1").exists()


def test_interrupted_step_is_cleaned_up(node):
    class Interrupting:
        @staticmethod
        def creates(s, ctx):
            return [str(node.home / "R_1")]

        @staticmethod
        def apply(s, ctx, progress):
            os.makedirs(node.home / "R_1" / "half")
            raise KeyboardInterrupt

        @staticmethod
        def is_done(s, ctx):
            return "no"

    err = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        engine._apply_one(step(node.recipe, "venv"), Interrupting, node.ctx(), engine.Journal(node.target), err)
    assert not (node.home / "R_1").exists()
    assert "was interrupted; removed what it had half made: ~/R_1" in err.getvalue()


def test_journal_of_a_killed_run_is_undone_next_time(node):
    journal = engine.Journal(node.target)
    half = node.home / "R_1" / "demo"
    journal.begin(step(node.recipe, "git:demo"), [str(node.home / "R_1")])
    half.mkdir(parents=True)
    (half / ".git").mkdir()
    assert engine.interrupted_setup(node.target) == "git:demo"
    out = io.StringIO()
    engine.recover(node.target, out)
    assert not (node.home / "R_1").exists()
    assert "interrupted during step git:demo" in out.getvalue()
    assert engine.interrupted_setup(node.target) == ""


def test_still_not_done_after_apply_fails_loudly(node):
    class Liar:
        @staticmethod
        def apply(s, ctx, progress):
            pass

        @staticmethod
        def is_done(s, ctx):
            return "never"

    with pytest.raises(StepFailed, match="ran but is still not done \\(never\\)"):
        engine._apply_one(step(node.recipe, "venv"), Liar, node.ctx(), engine.Journal(node.target), io.StringIO())
