"""Helpers for step tests: a small hand-made node for step tests: a home, mapped roots, a local upstream with tags,
a wheelhouse of tiny wheels (plus pip and setuptools), and a recipe written for it.
The full simulated nodes (envdoctor.targets.sim) are exercised in tests/e2e/test_setup_sim.py."""
from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from envdoctor.recipe import Recipe, load
from envdoctor.steps.base import Context
from envdoctor.targets import Target

UPSTREAM = "https://github.com/example/demo.git"


def make_wheel(directory: Path, name: str, version: str, modules: dict[str, str] | None = None,
               requires: tuple[str, ...] = (), tag: str = "py3-none-any") -> Path:
    """A real, installable wheel written by hand (no build backend needed)."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    files = dict(modules or {f"{dist}/__init__.py": f"__version__ = {version!r}\n"})
    files[f"{info}/METADATA"] = (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                                 + "".join(f"Requires-Dist: {r}\n" for r in requires))
    files[f"{info}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: envdoctor-tests\nRoot-Is-Purelib: true\nTag: {tag}\n"
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    wheel = directory / f"{dist}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def host_pythons() -> list[str]:
    """Interpreters of this machine, this one first, then others of another minor version."""
    import glob

    found = [sys.executable]
    mine = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for minor in ("3.12", "3.10", "3.11", "3.9", "3.13"):
        candidates = sorted(glob.glob(f"/root/.pyenv/versions/{minor}.*/bin/python{minor}")) + [
            shutil.which(f"python{minor}") or ""]
        exe = next((c for c in candidates if c), "")
        if minor != mine and exe:
            real = subprocess.run([exe, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True)
            if real.returncode == 0:
                found.append(real.stdout.strip())
    return found


RECIPE = """
schema: 1
platform: demo
release: r1
title: a demo recipe for step tests
hosts: {{login: ["demo-login-*"], run: ["demo-run-*"], login_address: demo, next_hop: ""}}
scheduler: {{kind: none}}
environment:
  kind: venv
  path: ~/R_1/venv_demo
  python: "{python}"
  interpreter: /usr/bin/python{python}
  creator: {creator}
  system_site_packages: {site}
  activate: source ~/R_1/venv_demo/bin/activate
requirements:
  - {{name: demo_pkg, spec: "==1.0"}}
  - {{name: demo-app, editable: demo}}
repos:
  - {{name: demo, url: "{url}", ref: v1, dest: ~/R_1/demo, required_files: [setup.py]}}
edits:
  - {{name: cfg-copy, kind: copy, repo: demo, copy_from: /software/demo/params.yaml, file: ~/R_1/demo/configs/params.yaml}}
  - name: cfg-yaml
    kind: yaml
    repo: demo
    file: ~/R_1/demo/configs/model.yaml
    set: {{train_input.data_dir: /software/demo/data, train_input.batch_size: "64", runconfig.new.key: "~/out"}}
  - {{name: cfg-replace, kind: replace, repo: demo, file: ~/R_1/demo/run.sh, replace: {{"/data/OLD": /software/demo/data}}}}
  - {{name: escape, kind: copy, repo: demo, copy_from: /software/demo/params.yaml, file: ~/R_1/demo/../outside.yaml}}
variables:
  - {{name: HTTPS_PROXY, value: "http://proxy.example:3128", both_cases: true}}
  - {{name: DEMO_ROOT, value: /software/demo}}
  - {{name: EVIL, value: "$(touch {home}/pwned); `id`; rm -rf ~"}}
proxy: ""
steps:
  - {{kind: env-vars, variables: [HTTPS_PROXY, DEMO_ROOT]}}
  - {{kind: git, repo: demo}}
  - {{kind: venv}}
  - id: pip-demo
    kind: pip
    args: [install, demo_pkg==1.0]
    requires: [demo_pkg==1.0]
  - id: pip-vendor
    kind: pip
    args: [install, "/software/demo/vendor-3.3.0+*.whl"]
    requires: [vendor==3.3.0]
  - id: pip-editable
    kind: pip
    cwd: ~/R_1/demo
    remove_first: [~/R_1/demo/demo_app.egg-info]
    args: [install, -e, .]
    requires: [demo-app]
  - {{kind: edit, edit: cfg-copy}}
  - {{kind: edit, edit: cfg-yaml}}
  - {{kind: edit, edit: cfg-replace}}
"""

MODEL_YAML = """\
# model config (comments must survive)
train_input:
  data_dir: ./relative/data   # set me
  batch_size: 32
  shuffle: true
eval_input:
  data_dir: ./relative/eval
"""


@dataclass
class Node:
    root: Path
    home: Path
    target: Target
    recipe: Recipe
    upstream: Path
    tags: dict[str, str]
    wheelhouse: Path

    def ctx(self, recipe: Recipe | None = None) -> Context:
        from envdoctor import engine

        return engine.make_context(recipe or self.recipe, self.target, yes=True)

    def recipe_with(self, **fmt: str) -> Recipe:
        values = {"python": self.python, "creator": "venv", "site": "false", "url": UPSTREAM, "home": str(self.home)}
        values.update(fmt)
        path = self.root / f"recipe-{len(list(self.root.glob('recipe-*')))}.yaml"
        path.write_text(RECIPE.format(**values))
        return load(path)

    python: str = ""


def _upstream(root: Path) -> tuple[Path, dict[str, str]]:
    work = root / "upstream-work"
    work.mkdir()
    git("init", "-q", "-b", "main", cwd=work)
    (work / "setup.py").write_text("from setuptools import setup\nsetup(name='demo-app', version='0.1', packages=['demo_app'])\n")
    (work / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n')
    (work / "demo_app").mkdir()
    (work / "demo_app" / "__init__.py").write_text("VERSION = 1\n")
    (work / "configs").mkdir()
    (work / "configs" / "model.yaml").write_text(MODEL_YAML)
    (work / "run.sh").write_text("#!/bin/bash\npython train.py --data /data/OLD/train\n")
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "v1", cwd=work)
    git("tag", "v1", cwd=work)
    (work / "demo_app" / "__init__.py").write_text("VERSION = 2\n")
    git("commit", "-q", "-am", "v2", cwd=work)
    git("tag", "v2", cwd=work)
    bare = root / "upstreams" / "demo.git"
    bare.parent.mkdir(parents=True)
    git("clone", "-q", "--bare", str(work), str(bare), cwd=root)
    tags = {t: git("rev-parse", f"{t}^{{commit}}", cwd=bare) for t in ("v1", "v2")}
    return bare, tags


def _wheelhouse(root: Path) -> Path:
    import virtualenv

    house = root / "wheelhouse"
    house.mkdir()
    embed = Path(virtualenv.__file__).parent / "seed" / "wheels" / "embed"
    for wheel in embed.glob("*.whl"):
        if wheel.name.startswith(("pip-", "setuptools-", "wheel-")):
            shutil.copy(wheel, house)
    make_wheel(house, "demo_pkg", "1.0")
    make_wheel(house, "demo_pkg", "2.0")
    return house




def step(recipe: Recipe, step_id: str):
    return next(s for s in recipe.steps if s.id == step_id)
