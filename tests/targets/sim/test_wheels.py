"""The hand-made wheel writer: valid RECORD, reproducible bytes, and pip installs what it writes."""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

from envdoctor.targets.sim import wheels


def _dist() -> wheels.Dist:
    return wheels.Dist("demo-pkg", "1.2.3", {"demo_pkg/__init__.py": '__version__ = "1.2.3"\n'},
                       entry_points={"demo-cli": "demo_pkg:main"})


def test_record_matches_every_file(tmp_path: Path) -> None:
    path = wheels.write_wheel(_dist(), tmp_path)
    assert path.name == "demo_pkg-1.2.3-py3-none-any.whl"
    with zipfile.ZipFile(path) as zf:
        record = zf.read("demo_pkg-1.2.3.dist-info/RECORD").decode()
        rows = list(csv.reader(io.StringIO(record)))
        names = set(zf.namelist())
        assert {r[0] for r in rows} == names
        for name, digest, size in rows:
            if name.endswith("RECORD"):
                assert digest == size == ""
                continue
            data = zf.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={expected}" and int(size) == len(data)
        assert "Name: demo-pkg" in zf.read("demo_pkg-1.2.3.dist-info/METADATA").decode()


def test_wheels_are_reproducible(tmp_path: Path) -> None:
    a = wheels.write_wheel(_dist(), tmp_path / "a").read_bytes()
    b = wheels.write_wheel(_dist(), tmp_path / "b").read_bytes()
    assert a == b


def test_pip_installs_written_wheels(tmp_path: Path) -> None:
    house = tmp_path / "house"
    wheels.build_wheelhouse(house, wheels.standin_dists(None) + [_dist()])
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(house),
                           "--target", str(target), "demo-pkg", "poptorch==3.3.0", "datasets==2.21.0",
                           "cerebras_pytorch==2.9.0"],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "PIP_CONFIG_FILE": "/dev/null",
                                                               "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    code = ("import demo_pkg, poptorch, datasets, cerebras.pytorch as cp; "
            "print(demo_pkg.__version__, poptorch.__version__, datasets.__version__, cp.__version__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(target)})
    assert out.stdout.split() == ["1.2.3", "3.3.0", "2.21.0", "2.9.0"], out.stderr
    assert (target / "bin" / "demo-cli").exists()


def test_poptorch_refuses_without_an_ipu_allocation(tmp_path: Path) -> None:
    (tmp_path / "poptorch").mkdir()
    dist = next(d for d in wheels.standin_dists(None) if d.name == "poptorch")
    (tmp_path / "poptorch" / "__init__.py").write_text(dist.files["poptorch/__init__.py"])
    code = "import poptorch; poptorch.trainingModel(object())"
    bare = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(tmp_path)})
    assert "'poptorch_cpp_error': Failed to acquire 1 IPU(s)" in bare.stderr
    inside = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": str(tmp_path), "SLURM_JOB_ID": "7"})
    assert inside.returncode == 0, inside.stderr


def test_in_tree_backend_builds_editable_and_refuses_plain_installs(tmp_path) -> None:
    """The upstreams' build backend: `pip install -e` works offline, a plain install of the
    model zoo is refused with the real message, and a project without the refusal installs editable too."""
    import subprocess
    import sys

    from envdoctor.targets.sim import upstreams

    for upstream in upstreams.UPSTREAMS:
        if upstream.slug not in ("Cerebras/modelzoo", "groq/groqflow"):
            continue
        ref = next(r for r in upstream.refs if r.name in ("Release_2.10.0", "v4.3.1"))
        tree = tmp_path / upstream.slug
        upstreams._replace_tree(tree.mkdir(parents=True) or tree, upstreams._tree(upstream, ref))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-download", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "--isolated", "install",
           "--no-index", "--no-deps"]
    plain = subprocess.run([*pip, str(tmp_path / "Cerebras/modelzoo")], capture_output=True, text=True)
    assert plain.returncode != 0 and "is not a mountable package on the appliance" in plain.stdout + plain.stderr
    editable = subprocess.run([*pip, "-e", str(tmp_path / "Cerebras/modelzoo"),
                               "-e", str(tmp_path / "groq/groqflow/demo_helpers")], capture_output=True, text=True)
    assert editable.returncode == 0, editable.stderr
    shown = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import cerebras.modelzoo, demo_helpers; print(cerebras.modelzoo.__file__, demo_helpers.__file__)"],
                           capture_output=True, text=True, check=True).stdout
    assert str(tmp_path / "Cerebras/modelzoo/src/cerebras/modelzoo") in shown
    assert (venv / "bin" / "cszoo").exists()
