"""envdoctor.collectors.python_env: typed facts from a real virtualenv, their JSON round trip, the parsers."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from envhelpers import Node, fake_dist, probe_of, recipe, site_packages

from envdoctor import proc
from envdoctor.collectors.python_env import (
    ENV_SCRIPT,
    Dist,
    EnvRun,
    ImportSpec,
    PythonEnvFacts,
    UserDist,
    describe_python,
    parse_env_run,
    read_pyvenv_cfg,
    scan_user_site,
    xy_of,
)
from envdoctor.facts import FactsError
from envdoctor.probe import Probe

PY311 = "/usr/bin/python3.11" if os.path.exists("/usr/bin/python3.11") else shutil.which("python3.11")
VENV = "R_2.10.0/venv_cerebras_pt"


def cerebras_env(node: Node) -> Path:
    """The cerebras course's venv, with its vendor package, the model zoo editable from the clone,
    and one package in ~/.local that depends on another."""
    node.hostname = "cer-usn-01"
    node.link_interpreter("/usr/bin/python3.11", str(PY311))
    env = node.virtualenv(VENV, str(node.root / "usr/bin/python3.11"))
    site = site_packages(env)
    fake_dist(site, "cerebras_pytorch", "2.10.0", module="cerebras")
    fake_dist(site, "cerebras_modelzoo", "2.10.0", editable_from=node.home / "R_2.10.0" / "modelzoo")
    user = node.home / ".local/lib/python3.11/site-packages"
    fake_dist(user, "typer", "0.12.0")
    meta = user / "typer-0.12.0.dist-info" / "METADATA"
    meta.write_text(meta.read_text() + "Requires-Dist: click>=8\nRequires-Dist: rich ; extra == 'all'\n\nbody\n")
    (user / "extra.pth").write_text("/somewhere\n")
    return env


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Probe:
    """One probe of one real venv, shared by the tests that only read it (building it takes seconds)."""
    if not PY311:
        pytest.skip("needs a python3.11")
    node = Node(tmp_path_factory.mktemp("pyenv") / "node")
    cerebras_env(node)
    return probe_of(node, recipe("cerebras"), only=("python_env",))


@pytest.fixture
def collected(probe: Probe) -> PythonEnvFacts:
    return probe.of(PythonEnvFacts)


def test_facts_of_a_real_virtualenv(collected: PythonEnvFacts) -> None:
    f = collected
    assert (f.kind, f.required) == ("venv", "3.11")
    assert f.interpreter is not None and f.interpreter.recipe == "/usr/bin/python3.11"
    assert f.interpreter.symlink and f.interpreter.version.startswith("3.11.")
    env = f.env
    assert env.exists and env.display == f"~/{VENV}" and env.python is not None and env.python.executable
    assert env.pyvenv_cfg is not None and env.cfg_home is not None and env.cfg_home.exists
    run = env.run
    assert run is not None and run.ok and run.error == "" and run.version == f.interpreter.version
    assert run.prefix == f"~/{VENV}" and not run.enable_user_site  # a venv ignores ~/.local
    zoo = next(d for d in run.dists if d.name == "cerebras_modelzoo")
    assert zoo.editable and zoo.url_path == "~/R_2.10.0/modelzoo"
    assert run.imports["cerebras"].found and run.imports["cerebras"].origin.startswith(f"~/{VENV}/lib/")
    assert not run.imports["cerebras"].in_user_site
    us = f.user_site
    assert us.dir == "~/.local/lib/python3.11/site-packages" and us.exists
    assert us.dists == (UserDist("typer", "0.12.0", ("click",)),) and us.pth == ("extra.pth",)


def test_json_round_trip_gives_equal_facts(collected: PythonEnvFacts) -> None:
    again = PythonEnvFacts.from_json(json.loads(json.dumps(collected.to_json())))
    assert again == collected
    assert isinstance(again.env.run, EnvRun) and isinstance(again.env.run.dists[0], Dist)
    assert isinstance(again.env.run.imports["cerebras"], ImportSpec)


def test_a_recorded_probe_loads_back_typed(probe: Probe) -> None:
    loaded = Probe.from_json(probe.to_json())
    assert loaded.of(PythonEnvFacts) == probe.of(PythonEnvFacts)
    assert loaded.to_json() == probe.to_json()


def test_wire_names_are_the_earlier_dict_keys(collected: PythonEnvFacts) -> None:
    """Probes, snapshots and bundles written before the facts were typed keep their meaning."""
    data = collected.to_json()
    assert {"kind", "required", "expected", "interpreter", "env", "user_site"} == set(data)
    assert {"ok", "version", "executable", "prefix", "base_prefix", "enable_user_site", "user_site", "sys_path",
            "dists", "imports", "error", "duration_ms"} == set(data["env"]["run"])
    assert {"name", "version", "location", "editable", "url", "in_user_site", "url_path"} == \
        set(data["env"]["run"]["dists"][0])
    assert {"dir", "exists", "dists", "pth", "bin", "error"} == set(data["user_site"])


def test_facts_recorded_with_keys_left_out_load_with_defaults() -> None:
    """The earlier collector left keys out (no interpreter, a missing env, a failed run)."""
    old = {"kind": "conda", "required": "3.10", "expected": "3.10",
           "env": {"kind": "conda", "exists": True, "path": "/h/miniconda3/envs/x", "display": "x",
                   "lexists": True, "pyvenv_cfg": None, "conda_meta": True,
                   "python": {"path": "x/bin/python", "exists": True, "symlink": False, "broken": False,
                              "executable": True},
                   "run": {"ok": False, "error": "`x/bin/python` exited 1: boom"}},
           "user_site": {"dir": "", "exists": False, "dists": []}}
    f = PythonEnvFacts.from_json(old)
    assert f.interpreter is None and f.env.cfg_home is None and f.user_site.pth == ()
    assert f.env.run == EnvRun(False, "`x/bin/python` exited 1: boom")


def test_facts_that_do_not_fit_name_the_field() -> None:
    with pytest.raises(FactsError, match=r"PythonEnvFacts\.env\.run\.dists\[0\]\.name: expected str"):
        PythonEnvFacts.from_json({"kind": "venv", "required": "", "expected": "", "user_site": {"dir": "", "exists": False},
                                  "env": {"kind": "venv", "exists": True, "path": "/e",
                                          "run": {"ok": True, "dists": [{"name": 3, "version": "1"}]}}})


# --- the parsers ----------------------------------------------------------------------------
def _done(stdout: str, returncode: int = 0) -> proc.Completed:
    return proc.Completed(("/e/bin/python", "-c", "..."), returncode, stdout, "", 12)


def test_env_run_maps_paths_and_marks_user_site(node: Node) -> None:
    home = str(node.home)
    line = json.dumps({"version": "3.11.7", "executable": f"{home}/e/bin/python", "prefix": f"{home}/e",
                       "base_prefix": str(node.root / "usr"), "enable_user_site": True,
                       "user_site": f"{home}/.local/lib/python3.11/site-packages", "sys_path": [f"{home}/e/lib"],
                       "dists": [{"name": "numpy", "version": "2.0", "editable": False, "url": "",
                                  "location": f"{home}/.local/lib/python3.11/site-packages"},
                                 {"name": "zoo", "version": None, "editable": True, "url": f"file://{home}/zoo/",
                                  "location": f"{home}/e/lib"}, "not a dist"],
                       "imports": {"numpy": {"found": True,
                                             "origin": f"{home}/.local/lib/python3.11/site-packages/numpy/x.py"},
                                   "gone": {"found": False, "origin": "", "error": "ImportError: no"}},
                       "error": ""})
    run = parse_env_run(node.target, _done("a warning first\n" + line))
    assert run.ok and run.duration_ms == 12 and run.executable == "~/e/bin/python" and run.sys_path == ("~/e/lib",)
    assert run.dists == (Dist("numpy", "2.0", "~/.local/lib/python3.11/site-packages", in_user_site=True),
                         Dist("zoo", "", "~/e/lib", True, f"file://{home}/zoo/", url_path="~/zoo"))
    assert run.imports["numpy"].in_user_site and run.imports["numpy"].origin.startswith("~/.local/")
    assert run.imports["gone"] == ImportSpec(False, "", False, "ImportError: no")


@pytest.mark.parametrize("stdout, returncode, why", [
    ("", 1, "exited 1"),
    ("Traceback: not json", 0, "unexpected output from the env's python"),
    ("[1, 2]", 0, "unexpected output from the env's python"),
])
def test_env_run_that_failed_says_why(node: Node, stdout: str, returncode: int, why: str) -> None:
    run = parse_env_run(node.target, _done(stdout, returncode))
    assert not run.ok and why in run.error and run.dists == ()


def test_describe_python_on_a_dangling_symlink(node: Node) -> None:
    link = node.root / "usr/bin/python3.11"
    link.parent.mkdir(parents=True)
    link.symlink_to("/opt/removed/bin/python3.11")
    f = describe_python(node.target, str(link))
    assert (f.path, f.exists, f.symlink, f.broken, f.executable) == ("/usr/bin/python3.11", False, True, True, False)
    assert f.link_target == "/opt/removed/bin/python3.11"


def test_pyvenv_cfg_and_user_site_read_from_disk(node: Node) -> None:
    env = node.home / "e"
    assert read_pyvenv_cfg(str(env)) is None
    node.write("e/pyvenv.cfg", "home = /usr/bin\ninclude-system-site-packages = false\nno equals sign\n")
    assert read_pyvenv_cfg(str(env)) == {"home": "/usr/bin", "include-system-site-packages": "false"}
    assert scan_user_site(node.target, "3.10").exists is False
    fake_dist(node.home / ".local/lib/python3.10/site-packages", "envdoctor", "0.1.0")
    node.write(".local/bin/envdoctor", "#!/bin/sh\n")
    us = scan_user_site(node.target, "3.10")
    assert us.dists == (UserDist("envdoctor", "0.1.0"),) and us.bin == ("envdoctor",)


def test_xy_of() -> None:
    assert (xy_of("3.10.12"), xy_of("3.10"), xy_of("3"), xy_of("")) == ("3.10", "3.10", "", "")



# importlib.metadata's own answer, as the env script reported it before it stopped importing it.
_METADATA_LISTING = r"""
import json, sys
import importlib.metadata as md
print(json.dumps([[d.metadata["Name"], d.version or "", str(d.locate_file(""))]
                  for d in md.distributions() if d.metadata["Name"]]))
"""
_PYTHONS = sorted({os.path.realpath(p) for p in [*(shutil.which(f"python3.{minor}") for minor in range(8, 14)),
                                                   *map(str, Path.home().glob(".pyenv/versions/3.*/bin/python3"))]
                   if p and "/shims/" not in p and not re.search(r"python3\.[67]$", os.path.realpath(p))})


def odd_site(root: Path) -> Path:
    """A sys.path directory with what importlib.metadata has to cope with: an egg-info file,
    an egg-info directory with PKG-INFO, one project twice (grouped together), a folded
    header, a dist-info without a Name (skipped), an egg directory with EGG-INFO."""
    site = root / "odd-site"
    fake_dist(site, "Alpha.Pkg", "1.0")
    (site / "beta-2.0.egg-info").write_text("Metadata-Version: 1.1\nName: beta\nVersion: 2.0\nSummary: a\n  folded\n\nbody\n")
    (site / "gamma-3.egg-info").mkdir()
    (site / "gamma-3.egg-info" / "PKG-INFO").write_text("Metadata-Version: 1.0\nName: gamma\nVersion: 3\n")
    fake_dist(site, "zeta", "1")
    (site / "alpha_pkg.egg-info").mkdir()
    (site / "alpha_pkg.egg-info" / "PKG-INFO").write_text("Name: alpha_pkg\nVersion: 0.9\n")
    (site / "nameless-1.dist-info").mkdir()
    (site / "nameless-1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nVersion: 1\n")
    egg = site / "delta-4-py3.egg"
    (egg / "EGG-INFO").mkdir(parents=True)
    (egg / "EGG-INFO" / "PKG-INFO").write_text("Name: delta\nVersion: 4\n")
    return site


@pytest.mark.parametrize("python", _PYTHONS or [pytest.param("", marks=pytest.mark.skip("no python3.8+"))])
def test_env_script_finds_what_importlib_metadata_finds(python: str, tmp_path: Path) -> None:
    """The env script lists distributions without importing importlib.metadata (the import is
    most of its cost): same names, versions, locations and order, on every Python here."""
    site = odd_site(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{site}:{site / 'delta-4-py3.egg'}"}
    mine = proc.run([python, "-c", ENV_SCRIPT], env=env, cwd="/", timeout=60)
    theirs = proc.run([python, "-c", _METADATA_LISTING], env=env, cwd="/", timeout=60)
    assert mine.ok and theirs.ok, mine.stderr + theirs.stderr
    listed = [[d["name"], d["version"], d["location"]] for d in json.loads(mine.stdout)["dists"]]
    assert listed == json.loads(theirs.stdout)
    assert ["beta", "2.0", str(site)] in listed and not any(d[0] == "nameless" for d in listed)
