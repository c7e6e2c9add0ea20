"""envdoctor.collectors.shells: startup-file analysis, the per-context capture and its parser,
bash traces, typed facts and their JSON round trip (real bash, real homes, a real sim node)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from envhelpers import PROFILE_SOURCING, Node, recipe

from envdoctor import proc
from envdoctor.collectors import shells
from envdoctor.collectors.shells import (
    ShellFacts,
    ShellMode,
    context_script,
    job_facts,
    login_reads,
    mode_facts,
    parse_output,
    parse_trace,
    read_startup_file,
    recipe_commands,
    run_mode,
)
from envdoctor.probe import Probe, ProbeContext, collect
from envdoctor.shellcapture import BEGIN, ENV_MARK, MORE_MARK
from envdoctor.targets import RealTarget


def test_login_reads_precedence(node: Node) -> None:
    node.write(".profile", "echo profile\n")
    t = node.target
    files = {n: read_startup_file(t, n) for n in ("~/.bash_profile", "~/.bash_login", "~/.profile", "~/.bashrc")}
    assert login_reads(files) == "~/.profile"
    node.write(".bash_login", "echo login\n")
    files["~/.bash_login"] = read_startup_file(t, "~/.bash_login")
    assert login_reads(files) == "~/.bash_login"


def test_parse_trace_attributes_returns_and_blocks() -> None:
    trace = "\n".join([
        "+ '[' -f /h/.bashrc ']'", "+ . /h/.bashrc", "++ case $- in", "++ return", "++ __conda_setup=x",
        "+ : envdoctor-probe-start", "+ . /h/late", "++ return",
    ])
    facts = parse_trace(trace)
    assert facts.sourced == ("/h/.bashrc",)
    assert facts.returned_early == ("/h/.bashrc",)
    assert facts.conda_block_ran_in == ("/h/.bashrc",)


def _output(*, more: bool = True, activate: str = "ok") -> str:
    head = f"noise\n{BEGIN}\nflags\thB\nconda_type\tfunction\nconda_def\tconda 12 /h/.bashrc\n{ENV_MARK}\n"
    env = "PATH=/usr/bin:rel\0HOME=/h\0MULTI=a\nb\0TOKEN=s3cret\0"
    tail = f"{MORE_MARK}\npython3_version\t3.10.12\nactivate\t{activate}\nactivated_python\t3.8.18\n" if more else ""
    return head + env + tail


def test_parse_output_reads_values_env_and_the_slow_part() -> None:
    got = parse_output(_output())
    assert got.reached and got.finished
    assert got.values["conda_type"] == "function" and got.values["activate"] == "ok"
    assert got.env == {"PATH": "/usr/bin:rel", "HOME": "/h", "MULTI": "a\nb", "TOKEN": "s3cret"}
    assert not parse_output("bash: something went wrong\n").reached
    assert not parse_output(_output(more=False)).finished


def test_mode_facts_keep_variables_redact_and_tell_a_slow_activate_from_a_hang(node: Node) -> None:
    t = node.target
    done = proc.Completed(("bash",), 0, _output(), "", 40)
    facts, env = mode_facts(t, "batch", done, recipe("groq"), activating=True)
    assert facts.reached and facts.conda_type == "function" and facts.activate == "ok"
    assert facts.conda_defined_at is not None and facts.conda_defined_at.line == 12
    assert facts.python3_version == "3.10.12" and facts.activated_python == "3.8.18"
    assert "TOKEN" not in facts.env and env["TOKEN"] == "s3cret"  # the whole env only for the sdk collector
    assert [e.entry for e in facts.path] == ["/usr/bin", "rel"] and facts.path[1].relative
    assert facts.which["qsub"] == "" and set(facts.which) == set(recipe_commands(recipe("groq")))
    slow = proc.Completed(("bash",), -9, _output().split("activate\t")[0], "", 9000, timed_out=True)
    facts, _ = mode_facts(t, "login", slow, recipe("groq"), activating=True)
    assert not facts.timed_out and facts.activate == "timeout" and facts.python3_version == "3.10.12"
    hung = proc.Completed(("bash",), -9, "", "+ . /h/.bashrc\n+ read x\n", 5000, timed_out=True)
    facts, _ = mode_facts(t, "login", hung, recipe("groq"), activating=True)
    assert facts.timed_out and not facts.reached and facts.activate == ""


def test_the_context_script_in_a_plain_script_gives_what_run_mode_gives(node: Node) -> None:
    """One capture: the snippet a batch job runs, parsed by job_facts, reads the same facts as
    the collector's traced `bash -c` of the same context."""
    node.install_conda()
    node.write(".bashrc", "export PATH=$HOME/tools/bin:$PATH\nexport GROQ_FLAG=1\n" + node.conda_block())
    (node.home / "tools" / "bin").mkdir(parents=True)
    rec = recipe("groq")
    traced, _ = run_mode(node.target, rec, "interactive", 20, details=True)
    script = node.root / "job.sh"
    script.write_text("#!/bin/bash\n. ~/.bashrc\n" + context_script(rec, node.target))
    done = subprocess.run(["bash", str(script)], env=node.target.login_env(), cwd=node.home,
                          capture_output=True, text=True, timeout=60)
    job = job_facts(rec, node.target, done.stdout, done.stderr, str(node.home))
    assert isinstance(job, ShellMode) and job.mode == "job" and job.reached
    assert traced.reached and traced.conda_type == job.conda_type == "function"
    assert traced.activate == job.activate == "ok"  # the stand-in's `conda activate groqflow`
    for name in ("which", "env", "path", "python_version", "python3_version", "module_type", "python_type"):
        assert getattr(job, name) == getattr(traced, name), name
    assert job.path[0].entry == "~/tools/bin" and job.path[0].is_dir
    assert job.env["GROQ_FLAG"] == "1"  # kept (host.KEEP_VARS): the same variables on both sides
    assert traced.trace.conda_block_ran_in and job.trace == type(job.trace)()  # only the collector traces


def test_activate_works_and_gives_the_envs_python(node: Node) -> None:
    """The venv a recipe activates: ok with its Python's version; a missing one: failed."""
    rec = recipe("graphcore")  # source ~/venvs/graphcore/poptorch33_env/bin/activate
    facts, _ = run_mode(node.target, rec, "batch", 20, details=True)
    assert facts.reached and facts.activate == "failed" and facts.activated_python == ""
    node.virtualenv("venvs/graphcore/poptorch33_env", sys.executable)
    facts, _ = run_mode(node.target, rec, "batch", 20, details=True)
    assert facts.activate == "ok"
    assert facts.activated_python == ".".join(map(str, sys.version_info[:3]))


def test_without_details_no_python_and_no_activate_is_started(node: Node) -> None:
    """`check` asks for no details: each shell starts no Python and tries no activate, but the
    facts every check reads (environment, PATH, where commands resolve) are all there."""
    node.virtualenv("venvs/graphcore/poptorch33_env", sys.executable)
    rec = recipe("graphcore")
    plain, _ = run_mode(node.target, rec, "batch", 20)
    full, _ = run_mode(node.target, rec, "batch", 20, details=True)
    assert plain.reached and not plain.timed_out
    assert (plain.activate, plain.activated_python, plain.python3_version) == ("", "", "")
    assert full.activate == "ok" and full.python3_version
    for name in ("which", "env", "path", "conda_type", "python_type", "module_type", "flags"):
        assert getattr(plain, name) == getattr(full, name), name


def test_shell_facts_round_trip_on_a_real_sim_node(sim_node) -> None:
    node = sim_node("groq")
    probe = collect(ProbeContext(node, recipe("groq"), offline=True), only=("shells",))
    assert not probe.errors, probe.errors
    facts = probe.of(ShellFacts)
    assert set(facts.modes) >= {"login", "batch", "script"} and facts.modes["login"].reached
    assert facts.files["~/.bashrc"].exists and facts.login_reads
    again = ShellFacts.from_json(json.loads(json.dumps(facts.to_json())))
    assert again == facts
    assert Probe.from_json(probe.to_json()).of(ShellFacts) == facts


def test_probe_json_round_trip_and_display_paths(node: Node) -> None:
    node.install_conda()
    node.write(".bash_profile", PROFILE_SOURCING)
    node.write(".bashrc", "export HTTPS_PROXY=http://me:secret@proxy:3128\n" + node.conda_block())
    probe = collect(ProbeContext(node.target, recipe("groq"), offline=True))
    assert not probe.errors, probe.errors
    text = probe.to_json()
    assert Probe.from_json(text).to_json() == text
    assert "secret" not in text
    sh = probe.of(ShellFacts)
    login = sh.modes["login"]
    assert login.conda_defined_at is not None and login.conda_defined_at.file == "~/.bashrc"
    assert login.env["HTTPS_PROXY"] == "http://me:***@proxy:3128"
    assert sh.conda.display == "~/miniconda3" and sh.conda.version == "24.11.3"
    assert sh.files["~/.bashrc"].conda_blocks[0].prefix_display == "~/miniconda3"
    assert sh.files["~/.bashrc"].conda_blocks[0].prefix_exists
    assert set(probe.timings_ms) >= {"host", "shells", "python_env", "repos", "configs", "network", "disk",
                                     "scheduler", "sdk"}


def test_collectors_survive_a_hostile_home(node: Node) -> None:
    (node.home / ".bashrc").mkdir()
    (node.home / ".profile").symlink_to("/nonexistent/profile")
    node.write(".bash_profile", "read -r x\nexec /bin/false\n")
    probe = collect(ProbeContext(node.target, recipe("cerebras"), offline=True))
    assert not probe.errors, probe.errors
    sh = probe.of(ShellFacts)
    assert sh.files["~/.bashrc"].error == "is a directory, not a file"
    assert "does not exist" in sh.files["~/.profile"].error
    assert sh.files["~/.profile"].link_target == "/nonexistent/profile"
    assert sh.modes["login"].reached is False and sh.modes["login"].activate == ""


def test_map_command_maps_node_paths_on_a_sim_target_only(node: Node) -> None:
    t = node.target
    assert shells.map_command("source /opt/x/bin/activate", t) == f"source {node.root}/opt/x/bin/activate"
    assert shells.map_command("source ~/opt/x", t) == "source ~/opt/x"
    real = RealTarget(str(Path.home()), "u", "h")
    assert shells.map_command("source /opt/x/bin/activate", real) == "source /opt/x/bin/activate"



def test_which_comes_from_the_path_the_shell_reached(node: Node) -> None:
    """The capture does not know the recipe (check starts it first): the recipe's commands
    are resolved afterwards on the PATH the shell reached, from where it started."""
    (node.home / "tools" / "bin").mkdir(parents=True)
    qsub = node.home / "tools" / "bin" / "qsub"
    qsub.write_text("#!/bin/sh\n")
    qsub.chmod(0o755)
    node.write(".bashrc", "export PATH=$HOME/tools/bin:$PATH\n")
    facts, _ = run_mode(node.target, recipe("groq"), "interactive", 20)
    assert facts.which["qsub"] == str(qsub) and facts.which["qstat"] == ""
    assert facts.which["git"].endswith("/git")
