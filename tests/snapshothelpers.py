"""Hand-built nodes for snapshot tests: a real home with real bash dotfiles, a real
virtualenv, a real git clone, and secrets planted everywhere a secret can hide."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from snaphelp import PRIVATE_KEY, SECRETS


def git(*args: str, cwd: Path | str | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _dist(site: Path, name: str, version: str) -> None:
    d = site / f"{name}-{version}.dist-info"
    d.mkdir(parents=True, exist_ok=True)
    (d / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (d / "RECORD").write_text("")


@pytest.fixture(scope="session")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare 'graphcore/examples' upstream with the real tags v3.2.0 and v3.3.0."""
    base = tmp_path_factory.mktemp("upstream")
    work = base / "work"
    work.mkdir()
    git("init", "-q", "-b", "master", cwd=work)
    for tag in ("v3.2.0", "v3.3.0"):
        (work / "README.md").write_text(f"examples {tag}\n")
        git("add", "-A", cwd=work)
        git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", tag, cwd=work)
        git("tag", tag, cwd=work)
    bare = base / "examples.git"
    git("clone", "-q", "--bare", str(work), str(bare))
    return bare


@pytest.fixture(scope="session")
def template_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real virtualenv, copied into each node (its bin/python links to the host's)."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-download", "--no-periodic-update",
                    "--no-setuptools", "--no-wheel", str(venv)], check=True, capture_output=True)
    return venv


@pytest.fixture
def home_node(tmp_path: Path, upstream: Path, template_venv: Path) -> Callable[..., object]:
    """make(user="alice", broken=(...), secrets=True) -> a Target for a hand-built graphcore node.

    broken: "wrong-python" (an old python3 first on PATH), "repo-wrong-tag", "poptorch-old",
    "proxy-missing", "no-env", "user-site".
    """
    from envdoctor.targets import open_sim

    made: list[int] = []

    def make(user: str = "alice", broken: tuple[str, ...] = (), secrets: bool = True) -> object:
        made.append(1)
        root = tmp_path / f"node{len(made)}"
        home = root / "home" / user
        home.mkdir(parents=True)
        (root / "etc").mkdir()
        (root / "opt" / "slurm" / "bin").mkdir(parents=True)
        (root / "etc" / "bashrc").write_text(f'PATH={root}/opt/slurm/bin:$PATH\nexport POPLAR_SDK_ENABLED={root}/software/poplar\n')
        bashrc = [f"[ -r {root}/etc/bashrc ] && . {root}/etc/bashrc"]
        if "wrong-python" in broken:
            oldbin = home / "oldpy" / "bin"
            oldbin.mkdir(parents=True)
            (oldbin / "python3").write_text("#!/bin/sh\necho 3.6.8\n")
            (oldbin / "python3").chmod(0o755)
            bashrc.append("export PATH=$HOME/oldpy/bin:$PATH")
        if "proxy-missing" not in broken:
            pw = SECRETS["proxy_pw"] if secrets else "x"
            bashrc += [f"export HTTPS_PROXY=http://{user}:{pw}@proxy.alcf.anl.gov:3128",
                       f"export https_proxy=http://{user}:{pw}@proxy.alcf.anl.gov:3128"]
        if secrets:
            bashrc += [f"export GITHUB_TOKEN={SECRETS['github']}", f"export HF_TOKEN={SECRETS['hf']}",
                       f"export MY_DB_SECRET={SECRETS['db_secret_env']}",
                       f"export PIP_INDEX_URL=https://__token__:{SECRETS['pypi']}@pypi.example.org/simple",
                       f"export POPLAR_LICENSE_KEY={SECRETS['api_key']}",
                       f"export OPENAI_API_KEY={SECRETS['openai']}"]
        (home / ".bashrc").write_text("\n".join(bashrc) + "\n")
        (home / ".bash_profile").write_text('if [ -f ~/.bashrc ]; then . ~/.bashrc; fi\n')
        if secrets:
            (home / ".netrc").write_text(f"machine github.com login {user} password {SECRETS['netrc_pw']}\n")
            (home / ".netrc").chmod(0o600)
            (home / ".pip").mkdir()
            (home / ".pip" / "pip.conf").write_text(
                f"[global]\nindex-url = https://{user}:{SECRETS['generic_pw']}@pypi.example.org/simple\n"
                f"extra-index-url = https://{SECRETS['gitlab']}@gitlab.example.org/api/v4/packages/pypi/simple\n")
            (home / ".condarc").write_text(
                f"proxy_servers:\n  https: http://{user}:{SECRETS['condarc_pw']}@proxy.alcf.anl.gov:3128\n"
                f"channel_alias: https://conda.example.org/t/{SECRETS['slack']}\nauto_activate_base: false\n")
        if "no-env" not in broken:
            venv = home / "venvs" / "graphcore" / "poptorch33_env"
            venv.parent.mkdir(parents=True)
            shutil.copytree(template_venv, venv, symlinks=True)
            site = next((venv / "lib").glob("python*/site-packages"))
            _dist(site, "poptorch", "3.2.0" if "poptorch-old" in broken else "3.3.0")
            _dist(site, "torchvision", "0.15.2")
            _dist(site, "Pygments", "2.17.2" if user == "alice" else "2.17.1")
        if "user-site" in broken:
            xy = f"{sys.version_info[0]}.{sys.version_info[1]}"
            _dist(home / ".local" / "lib" / f"python{xy}" / "site-packages", "poptorch", "3.1.0")
        clone = home / "graphcore" / "examples"
        clone.parent.mkdir(parents=True)
        git("clone", "-q", str(upstream), str(clone))
        git("checkout", "-q", "v3.2.0" if "repo-wrong-tag" in broken else "v3.3.0", cwd=clone)
        if secrets:
            git("remote", "set-url", "origin", f"https://{user}:{SECRETS['github']}@github.com/graphcore/examples.git",
                cwd=clone)
        log = root / "job.log"
        log.write_text("\n".join([
            "Starting job", f"Authorization: Bearer {SECRETS['bearer']}", f"aws_access_key_id={SECRETS['aws_id']}",
            f"aws_secret_access_key = {SECRETS['aws_secret']}", f"google {SECRETS['google']}",
            f"jwt={SECRETS['jwt']}", f"globus transfer token {SECRETS['globus']}",
            f"slack {SECRETS['slack']}", f"pat {SECRETS['github_pat']}", f"--password {SECRETS['generic_pw']}",
            PRIVATE_KEY.rstrip("\n"), "Traceback (most recent call last):", "ModuleNotFoundError: No module named 'poptorch'",
        ]) + "\n")
        meta = {"schema": "envdoctor/sim@1", "platform": "graphcore", "release": "sdk-3.3.0", "user": user,
                "hostname": "gc-poplar-02", "ready": True, "faults": list(broken),
                "mapped_roots": ["software", "opt", "data", "etc"],
                "upstreams": {"https://github.com/graphcore/examples.git": f"file://{upstream}"}}
        (root / "sim.json").write_text(json.dumps(meta))
        return open_sim(root)

    return make
