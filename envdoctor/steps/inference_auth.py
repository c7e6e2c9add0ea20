"""`inference-auth`: sign in to the ALCF Inference Service with the guide's helper.

    - {kind: inference-auth, helper: ~/metis/inference_auth_token.py}

The guide's command is `python inference_auth_token.py authenticate` in the helper's
directory, with the environment's python (user guide
docs/ai-testbed/sn40l_inference/using_an_inference_endpoint.md @ 4eaca024). Done when the
helper's token file (recipe `extra.inference.tokens`) holds an access token that is not
expired, or that `get_access_token` can still refresh (signed in less than
`reauth_days` days ago).

The real sign-in is a Globus login in a browser, with a code pasted back: a person must do
it, so on a real machine apply stops with the exact commands. On a simulated node the
stand-in helper signs in without a browser, so apply runs it.
"""
from __future__ import annotations

import os

from envdoctor.collectors.inference import TokenFacts, _access_token, request, spec, token_facts
from envdoctor.recipe import Step
from envdoctor.steps.base import Action, Context, Progress, command, fail, last_line


def _helper(step: Step, ctx: Context) -> str:
    return ctx.path(str(step.get("helper")))


def _commands(step: Step, ctx: Context, force: bool) -> list[str]:
    env = ctx.recipe.environment
    helper = _helper(step, ctx)
    auth = "python inference_auth_token.py authenticate" + (" --force" if force else "")
    return [env.activate or f"source {env.path}/bin/activate", f"cd {ctx.display(os.path.dirname(helper))}", auth]


def _token(ctx: Context) -> TokenFacts:
    return token_facts(ctx.target, ctx.recipe)


def is_done(step: Step, ctx: Context) -> str | None:
    facts = _token(ctx)
    if not facts.present:
        return f"no token file {facts.path_shown}: `authenticate` has not been run"
    if facts.reauth_due:
        return f"the token was issued {facts.issued_days:.1f} days ago: the service requires signing in again"
    return _refused(ctx)


def _refused(ctx: Context) -> str | None:
    """Why the service refuses the stored token, or None. A refreshed token looks new in the
    file while the 7-day sign-in behind it has lapsed: only the service can tell. No answer
    (offline, unreachable) counts as accepted: setup must not sign in again for a network fault."""
    url = str(spec(ctx.recipe).get("list_endpoints", ""))
    token = _access_token(ctx.target, ctx.recipe)
    if not url or not token:
        return None
    answer = request(ctx.target, url, token, 4.0)
    if answer.status == 401:
        return f"the service refuses the stored token ({answer.message[:120]})"
    return None


def plan(step: Step, ctx: Context) -> list[Action]:
    force = _token(ctx).present
    cmds = _commands(step, ctx, force)
    helper = _helper(step, ctx)
    actions = [command(["python", "inference_auth_token.py", "authenticate"] + (["--force"] if force else []),
                       ctx.display(os.path.dirname(helper)))]
    if not ctx.target.signs_in_unattended():
        actions.insert(0, Action("note", "a Globus sign-in in your browser: envdoctor cannot do it for you; type: "
                                 + " && ".join(cmds)))
    return actions


def apply(step: Step, ctx: Context, progress: Progress) -> None:
    force = _token(ctx).present
    cmds = _commands(step, ctx, force)
    if not ctx.target.signs_in_unattended():
        raise fail(step, "signing in to Globus needs you (a browser login and a code to paste)",
                   "type: " + " && ".join(cmds) + "; then run setup again")
    helper = _helper(step, ctx)
    python = os.path.join(ctx.path(ctx.recipe.environment.path), "bin", "python")
    argv = [python, os.path.basename(helper), "authenticate"] + (["--force"] if force else [])
    done = ctx.run(argv, cwd=os.path.dirname(helper), timeout=120)
    if not done.ok:
        raise fail(step, f"`{' '.join(argv[1:])}` failed: "
                   + last_line((done.stderr or done.stdout).splitlines(), f"exit {done.returncode}"),
                   "run it yourself: " + " && ".join(cmds))
