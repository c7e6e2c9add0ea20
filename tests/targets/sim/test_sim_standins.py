"""The conda stand-in and the scheduler stand-ins, driven through real bash."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from simhelpers import shell, wait_for


@pytest.fixture(scope="module")
def groq_conda(node_store):
    """A fresh Groq node with Miniconda installed in batch mode (no init) and one env."""
    os.environ.setdefault("VIRTUALENV_NO_PERIODIC_UPDATE", "1")
    target = node_store.node("groq")
    env = target.login_env()
    installer = target.meta["installer"]
    done = subprocess.run(["bash", installer, "-b", "-p", f"{target.home}/miniconda3"], env=env, text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    conda = f"{target.home}/miniconda3/bin/conda"
    done = subprocess.run([conda, "create", "-n", "groqflow", "python=3.10.12", "-y"], env=env, text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return target, conda


def test_conda_cli_formats(groq_conda) -> None:
    target, conda = groq_conda
    env = target.login_env()
    run = lambda *a: subprocess.run([conda, *a], env=env, text=True, capture_output=True)  # noqa: E731
    assert run("--version").stdout.startswith("conda ")
    info = json.loads(run("info", "--json").stdout)
    for key in ("conda_version", "root_prefix", "envs", "envs_dirs", "active_prefix", "active_prefix_name",
                "default_prefix", "python_version", "platform"):
        assert key in info
    prefix = f"{target.home}/miniconda3"
    assert info["root_prefix"] == prefix and info["platform"] == "linux-64"
    assert json.loads(run("env", "list", "--json").stdout) == {"envs": [prefix, f"{prefix}/envs/groqflow"]}
    env_dir = Path(prefix, "envs/groqflow")
    assert (env_dir / "conda-meta/history").is_file()
    assert list((env_dir / "conda-meta").glob("python-3.10.*-0.json"))
    out = run("run", "-n", "groqflow", "python", "-c", "import sys; print(sys.version_info[:2])").stdout
    assert out.strip() == "(3, 10)"
    missing = run("run", "-n", "nope", "true")
    assert missing.returncode == 1 and "EnvironmentNameNotFound" in missing.stderr
    assert run("activate", "groqflow").stderr.strip().endswith("Run 'conda init' before 'conda activate'")


def test_hook_activate_and_deactivate_in_real_bash(groq_conda) -> None:
    target, conda = groq_conda
    script = (f'eval "$({conda} shell.bash hook)"; echo "A:$CONDA_DEFAULT_ENV:$CONDA_SHLVL:$PS1"; '
              'conda activate groqflow; echo "B:$CONDA_DEFAULT_ENV:$CONDA_SHLVL:$CONDA_PREFIX"; '
              'python -c "import sys; print(\'PY\', sys.prefix)"; echo "PS1:$PS1"; '
              'conda deactivate; echo "C:$CONDA_DEFAULT_ENV:$CONDA_SHLVL"; type conda | head -1')
    out = shell(target, script).stdout
    assert "A:base:1:(base) " in out  # auto_activate_base defaults to true, like real conda
    assert f"B:groqflow:2:{target.home}/miniconda3/envs/groqflow" in out
    assert f"PY {target.home}/miniconda3/envs/groqflow" in out and "PS1:(groqflow) " in out
    assert "C:base:1" in out and "conda is a function" in out
    (Path(target.home) / ".condarc").write_text("auto_activate_base: false\n")
    try:
        out = shell(target, f'eval "$({conda} shell.bash hook)"; echo "X:${{CONDA_DEFAULT_ENV:-none}}"').stdout
        assert "X:none" in out
    finally:
        (Path(target.home) / ".condarc").unlink()


def test_conda_init_writes_the_real_block_once(groq_conda) -> None:
    target, conda = groq_conda
    bashrc = Path(target.home) / ".bashrc"
    before = bashrc.read_text()
    try:
        first = subprocess.run([conda, "init", "bash"], env=target.login_env(), text=True, capture_output=True)
        assert "modified" in first.stdout
        text = bashrc.read_text()
        assert "# >>> conda initialize >>>" in text and "# <<< conda initialize <<<" in text
        assert f"__conda_setup=\"$('{target.home}/miniconda3/bin/conda' 'shell.bash' 'hook' 2> /dev/null)\"" in text
        again = subprocess.run([conda, "init", "bash"], env=target.login_env(), text=True, capture_output=True)
        assert "No action taken." in again.stdout and bashrc.read_text() == text
        out = shell(target, "type conda | head -1; echo ENV:$CONDA_DEFAULT_ENV", "-l", "-i").stdout
        assert "conda is a function" in out and "ENV:base" in out
    finally:
        bashrc.write_text(before)


def test_installer_declined_init_says_so(sim_node) -> None:
    target = sim_node("groq")
    answers = f"\nyes\n{target.home}/miniconda3\nno\n"
    done = subprocess.run(["bash", target.meta["installer"]], input=answers, env=target.login_env(), text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for line in ("You have chosen to not have conda modify your shell scripts at all.",
                 "To activate conda's base environment in your current shell session:",
                 f'eval "$({target.home}/miniconda3/bin/conda shell.YOUR_SHELL_NAME hook)"',
                 "To install conda's shell functions for easier access, first activate, then:"):
        assert line in done.stdout
    assert ">>> conda initialize" not in (Path(target.home) / ".bashrc").read_text()
    assert "conda: command not found" in shell(target, "conda --version", "-l", "-i").stderr
    again = subprocess.run(["bash", target.meta["installer"], "-b", "-p", f"{target.home}/miniconda3"],
                           env=target.login_env(), text=True, capture_output=True)
    assert again.returncode == 1 and "use the -u option" in again.stderr


def test_pbs_batch_job_runs_as_a_login_shell(sim_node, tmp_path: Path) -> None:
    target = sim_node("groq")
    work = Path(target.home) / "work"
    work.mkdir()
    (work / "job.sh").write_text("echo HOME=$HOME\nshopt -q login_shell && echo LOGIN\n"
                                 "case $- in *i*) echo INTERACTIVE;; esac\necho DIR=$PBS_O_WORKDIR\nconda --version\n")
    out = shell(target, "qsub -l select=1 job.sh", "-l", cwd=str(work))
    assert out.returncode == 0, out.stderr
    job_id = out.stdout.strip()
    assert job_id.endswith(".groq-r01-co") and job_id.split(".")[0].isdigit()
    num = job_id.split(".")[0]
    assert wait_for(lambda: (work / f"job.sh.o{num}").exists(), 60)
    text = (work / f"job.sh.o{num}").read_text()
    assert f"HOME={target.home}" in text and "LOGIN" in text and "INTERACTIVE" not in text
    assert f"DIR={work}" in text
    assert "conda: command not found" in (work / f"job.sh.e{num}").read_text()
    gone = shell(target, f"qstat {job_id}", "-l")
    assert gone.returncode == 35 and "Job has finished" in gone.stderr
    assert shell(target, f"qstat -x -f {job_id}", "-l").stdout.startswith(f"Job Id: {job_id}")
    (work / "long.sh").write_text("sleep 30\n")
    long_id = shell(target, "qsub long.sh", "-l", cwd=str(work)).stdout.strip()
    assert long_id in shell(target, "qstat", "-l").stdout
    assert shell(target, f"qdel {long_id}", "-l").returncode == 0
    assert long_id not in shell(target, "qstat", "-l").stdout


def test_pbs_refuses_login_nodes(sim_node) -> None:
    target = sim_node("groq", faults=["on-login-node"])
    (Path(target.home) / "job.sh").write_text("true\n")
    out = shell(target, "qsub job.sh", "-l")
    assert out.returncode == 1
    assert out.stderr.strip() == ("qsub: job submission from login nodes is not supported; "
                                  "ssh to a GroqRack node (groq-r01-gn-0X) first")


def test_slurm_stand_in(sim_node) -> None:
    target = sim_node("sambanova")
    no_slurm = {"SLURM_CONF": ""}
    work = Path(target.home)
    out = shell(target, "sbatch --parsable --gres=rdu:8 --wrap 'echo JOB=$SLURM_JOB_ID RDUS=$ENVDOCTOR_SIM_RDUS'",
                "-l", extra=no_slurm)
    assert out.returncode == 0, out.stderr
    job = out.stdout.strip()
    assert job.isdigit()
    assert wait_for(lambda: shell(target, f"squeue -h -j {job}", "-l", extra=no_slurm).stdout.strip() == "", 60)
    assert (work / f"slurm-{job}.out").read_text().strip() == f"JOB={job} RDUS=8"
    out = shell(target, "sbatch -o out-%j.txt --wrap 'echo hi'", "-l", extra=no_slurm)
    assert out.stdout.startswith("Submitted batch job ")
    second = out.stdout.split()[-1]
    assert int(second) == int(job) + 1
    assert wait_for(lambda: (work / f"out-{second}.txt").exists() and
                    shell(target, f"squeue -h -j {second}", "-l", extra=no_slurm).stdout.strip() == "", 60)
    out = shell(target, "srun --ntasks 1 bash -c 'echo STEP=$SLURM_JOB_ID'", "-l", extra=no_slurm)
    assert out.returncode == 0 and out.stdout.startswith("STEP=")
    long = shell(target, "sbatch --parsable --wrap 'sleep 30'", "-l", extra=no_slurm).stdout.strip()
    assert wait_for(lambda: long in shell(target, "squeue", "-l", extra=no_slurm).stdout, 30)
    assert shell(target, f"scancel {long}", "-l", extra=no_slurm).returncode == 0
    assert long not in shell(target, "squeue", "-l", extra=no_slurm).stdout
    # After the cancel nothing runs: sinfo shows the node's one partition idle, with the node's name.
    info = shell(target, "sinfo -h", "-l", extra=no_slurm).stdout.split()
    assert info[0].endswith("*") and info[1] == "up" and info[4] == "idle" and info[5] == target.hostname
    bad = shell(target, "echo 'echo x' > plain.sh; sbatch plain.sh", "-l", extra=no_slurm)
    assert bad.returncode == 1 and "This does not look like a batch script" in bad.stderr
