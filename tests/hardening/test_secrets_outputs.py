"""The secret corpus planted everywhere on a simulated node, then every output path run:
no secret value may appear in anything envdoctor prints, writes or packs.

Planted (a) in the environment (exported by ~/.bashrc, in envdoctor's own environment, and
a proxy password only interactive shells get, so that `check --in-job` has a fix to print),
(b) in dotfiles (~/.bashrc, ~/.netrc, pip.conf, ~/.condarc, ~/.docker/config.json,
~/.kaggle/kaggle.json, ~/.gitconfig, ~/.git-credentials, git remote URLs), (c) in logs (a
log file, and the end of every batch job's output, so that the run record's tail has it).
Then: check --json / -v / --junit / --share / --in-job, setup --plan (--json), snapshot,
diff, explain (--json), bundle (every tar member), run, runs export --json / --csv /
--markdown / --html, runs list / compare.
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import tarfile
from pathlib import Path
from typing import Callable, Dict, List

import pytest
from secret_corpus import SHAPES, Shape

Cli = Callable[..., "tuple[int, str, str]"]

# Shapes whose secret can sit in a URL's userinfo as is.
_URL_SAFE = [s for s in SHAPES if all(c.isalnum() or c in "-_." for c in s.secret)]


def _one_line(shapes: List[Shape]) -> List[str]:
    return [s.text for s in shapes if "\n" not in s.text]


def _plant(home: Path, log_path: Path) -> None:
    """Every shape in the environment, in the dotfiles and in a log."""
    lines = [s.text for s in SHAPES]
    proxy = next(s for s in SHAPES if s.name == "proxy url password")
    rc = [f"export CONDA_EDTEST_{i}={shlex.quote(t)}" for i, t in enumerate(lines)]
    rc += [f"export EDTEST_{i}_TOKEN={shlex.quote(s.secret)}" for i, s in enumerate(SHAPES)]
    rc += [f"# {t}" for t in _one_line(SHAPES)]
    # only interactive shells get the proxy: a batch job does not (check --in-job's fix)
    rc += ["case $- in *i*) " + proxy.text.split("export ", 1)[1].join(["export ", "; "])
           + proxy.text.replace("https_proxy", "HTTPS_PROXY").split("export ", 1)[1].join(["export ", ";; "])
           + "esac"]
    with open(home / ".bashrc", "a") as fh:
        fh.write("\n" + "\n".join(rc) + "\n")
    # batch jobs print the corpus as they end: it is the tail of every job's log
    corpus = home / ".edtest-corpus.log"
    packed = [" | ".join(_one_line(SHAPES[i:i + 12])) for i in range(0, len(SHAPES), 12)]
    corpus.write_text("\n".join(packed + [s.text for s in SHAPES if "\n" in s.text]) + "\n")
    with open(home / ".bash_profile", "a") as fh:
        fh.write('\nif [ -n "${PBS_JOBID:-}${SLURM_JOB_ID:-}" ]; then trap \'cat ~/.edtest-corpus.log\' EXIT; fi\n')
    (home / ".netrc").write_text("".join(f"machine host{i}.example.org login alice password {s.secret}\n"
                                         for i, s in enumerate(SHAPES) if " " not in s.secret))
    (home / ".netrc").chmod(0o600)
    pip_conf = ("[global]\n" + f"index-url = https://alice:{_URL_SAFE[0].secret}@pypi.example.org/simple\n"
                + f"extra-index-url = https://{_URL_SAFE[1].secret}@gitlab.example.org/api/v4/pypi/simple\n"
                + "".join(f"# {t}\n" for t in _one_line(SHAPES)))
    for where in (home / ".pip", home / ".config" / "pip"):
        where.mkdir(parents=True, exist_ok=True)
        (where / "pip.conf").write_text(pip_conf)
    conda = next(s for s in SHAPES if s.name == "conda channel token")
    (home / ".condarc").write_text(f"channel_alias: https://conda.anaconda.org/t/{conda.secret}\n"
                                   f"proxy_servers:\n  https: http://alice:{_URL_SAFE[2].secret}@proxy.alcf.anl.gov:3128\n")
    (home / ".docker").mkdir(exist_ok=True)
    (home / ".docker" / "config.json").write_text(json.dumps(
        {"auths": {f"registry{i}.example.org": {"auth": s.secret} for i, s in enumerate(SHAPES)}}))
    kaggle = next(s for s in SHAPES if s.name == "kaggle.json key")
    (home / ".kaggle").mkdir(exist_ok=True)
    (home / ".kaggle" / "kaggle.json").write_text(json.dumps({"username": "alice", "key": kaggle.secret}))
    bearer = next(s for s in SHAPES if s.name == "bearer header")
    (home / ".gitconfig").write_text(f'[http]\n\textraheader = "Authorization: Bearer {bearer.secret}"\n'
                                     "[credential]\n\thelper = store\n")
    (home / ".git-credentials").write_text("".join(f"https://alice:{s.secret}@git{i}.example.org\n"
                                                   for i, s in enumerate(_URL_SAFE)))
    log_path.write_text("Starting job\n" + "\n".join(lines) + "\nTraceback (most recent call last):\n"
                        "ModuleNotFoundError: No module named 'groqflow'\n")


def _plant_git(repo: Path) -> None:
    env = dict(os.environ, HOME=str(repo.parent))
    token = next(s for s in SHAPES if s.name == "git remote token")
    url = subprocess.run(["git", "-C", str(repo), "remote", "get-url", "origin"], capture_output=True, text=True,
                         env=env).stdout.strip()
    if url.startswith(("https://", "http://", "file://")) and "@" not in url:
        scheme, rest = url.split("://", 1)
        if scheme != "file":
            subprocess.run(["git", "-C", str(repo), "remote", "set-url", "origin",
                            f"{scheme}://oauth2:{token.secret}@{rest}"], check=True, env=env)
    for i, s in enumerate(_URL_SAFE[:8]):
        subprocess.run(["git", "-C", str(repo), "remote", "add", f"mirror{i}",
                        f"https://alice:{s.secret}@mirror{i}.example.org/repo.git"], check=True, env=env)


def _leaks(text: str) -> List[str]:
    return [s.name for s in SHAPES if s.secret in text]


def _scan_files(root: Path, top_only: bool = False) -> Dict[str, List[str]]:
    """Files envdoctor wrote under root; not the job's own output (the run's complete log
    and the scheduler's output files in its work directory are the user's, kept as is)."""
    found = {}
    for p in (root.glob("*") if top_only else root.rglob("*")):
        if p.is_file() and not p.name.endswith(".log"):
            hits = _leaks(p.read_bytes().decode("utf-8", "replace"))
            if hits:
                found[str(p)] = hits
    return found


@pytest.mark.slow
def test_no_secret_in_any_output(sim_node, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    node = sim_node("groq", ready=True)
    home = Path(node.home)
    log = tmp_path / "job.log"
    _plant(home, log)
    for repo in [p.parent for p in home.glob("*/.git")]:
        _plant_git(repo)
    for i, s in enumerate(SHAPES):  # envdoctor's own environment too (jobs inherit it)
        monkeypatch.setenv(f"CONDA_EDTEST_ENV_{i}", s.text)
    sim = ("--target", "sim", "--sim-root", node.root)
    outputs: Dict[str, str] = {}

    def run(name: str, *argv: str, ok: tuple = (0, 1)) -> str:
        rc, out, err = cli(*argv)
        assert rc in ok, f"{name}: rc={rc}\n{err[-3000:]}"
        outputs[name] = out + err
        return out

    share, junit = tmp_path / "share", tmp_path / "junit.xml"
    check_json = run("check --json", "check", "groq", *sim, "--json", "--junit", str(junit))
    assert json.loads(check_json)["checks"], "check ran no checks"
    run("check -v", "check", "groq", *sim, "-v")
    run("check --share", "check", "groq", *sim, "--share", str(share))
    in_job = run("check --in-job", "check", "groq", *sim, "--in-job", "--json")
    assert any(c["id"].startswith("injob.") for c in json.loads(in_job)["checks"])
    run("setup --plan --json", "setup", "groq", *sim, "--plan", "--json")
    run("setup --plan", "setup", "groq", *sim, "--plan")
    snap_a, snap_b = tmp_path / "a.json", tmp_path / "b.json"
    run("snapshot", "snapshot", "--platform", "groq", *sim, "-o", str(snap_a))
    run("snapshot stdout", "snapshot", "--platform", "groq", *sim)
    with open(home / ".bashrc", "a") as fh:  # something for diff to find
        fh.write(f"export PIP_INDEX_URL=https://alice:{_URL_SAFE[3].secret}@other.example.org/simple\n")
    run("snapshot b", "snapshot", "--platform", "groq", *sim, "-o", str(snap_b))
    diff_json = run("diff --json", "diff", str(snap_a), str(snap_b), "--json")
    assert json.loads(diff_json)["differences"]
    run("diff", "diff", str(snap_a), str(snap_b))
    run("explain --json", "explain", str(log), "--json")
    run("explain", "explain", str(log))
    bundle = tmp_path / "support.tar.gz"
    run("bundle", "bundle", "--platform", "groq", *sim, "-o", str(bundle), "--yes", str(log))
    run_json = run("run --json", "run", "groq", *sim, "--json")
    record = json.loads(run_json)
    assert record["log_tail"], "the run recorded no log tail"
    run("run", "run", "groq", *sim, "--no-check")
    for fmt in ("--json", "--csv", "--markdown"):
        run(f"runs export {fmt}", "runs", "export", fmt)
    html = tmp_path / "runs.html"
    run("runs export --html", "runs", "export", "--html", str(html))
    run("runs list", "runs", "list")
    run("runs compare", "runs", "compare")

    # the corpus really reached the outputs' inputs (else this test proves nothing)
    raw_log = Path(record["log"]).read_text()
    assert all(s.secret in raw_log for s in SHAPES if "\n" not in s.text), "the job did not print the corpus"
    assert any("REDACTED" in o for o in outputs.values())

    leaks = {name: _leaks(text) for name, text in outputs.items()}
    leaks = {k: v for k, v in leaks.items() if v}
    with tarfile.open(bundle, "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        assert {"manifest.json", "snapshot.json", "check-report.json", "logs/job.log"} <= {m.name for m in members}
        for m in members:
            hits = _leaks(tar.extractfile(m).read().decode("utf-8", "replace"))  # type: ignore[union-attr]
            if hits:
                leaks[f"bundle member {m.name}"] = hits
    written = [share, junit, snap_a, snap_b, html, Path(os.environ["XDG_DATA_HOME"]) / "envdoctor" / "runs"]
    for path in written:
        assert path.exists(), path
        files = (_scan_files(path, top_only=path.name == "runs") if path.is_dir()
                 else {str(path): _leaks(path.read_text(errors="replace"))})
        leaks.update({k: v for k, v in files.items() if v})
    assert not leaks, json.dumps(leaks, indent=1)
