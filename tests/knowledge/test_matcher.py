"""The matcher on real-looking logs: the right fault first, context, wrapping, harmless, streaming."""
from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import pytest

from envdoctor.knowledge import explain_file, explain_text
from envdoctor.knowledge.kb import default
from envdoctor.knowledge.matcher import Matcher


def ids(text: str, platform: str | None = None, source_name: str | None = None) -> list[str]:
    return [f.fault for f in explain_text(text.splitlines(), platform=platform, source_name=source_name)]


def first(text: str, platform: str | None = None, source_name: str | None = None) -> str:
    found = [f for f in explain_text(text.splitlines(), platform=platform, source_name=source_name) if not f.harmless]
    assert found, f"nothing recognised in {text!r}"
    return found[0].fault


# -- documented cases, one or more per platform (users, hosts, paths and versions varied) --------

GROQ_CONDA = """\
Last login: Tue Nov 12 10:01:44 2024 from 10.140.57.21
[{user}@groq-r01-gn-0{n} ~]$ export PYTHON_VERSION=3.10.12
[{user}@groq-r01-gn-0{n} ~]$ conda create -n groqflow python=$PYTHON_VERSION -y
-bash: conda: command not found
"""

GROQ_JOB = """\
#!/bin/bash
#PBS -l select=1,place=excl
cd ~/groqflow/proof_points/natural_language_processing/minilm
/var/spool/pbs/mom_priv/jobs/{n}084.groq-r01-co.SC: line 4: conda: command not found
Traceback (most recent call last):
  File "/home/{user}/groqflow/proof_points/natural_language_processing/minilm/minilmv2.py", line 12, in <module>
    from groqflow import groqit
ModuleNotFoundError: No module named 'groqflow'
"""


@pytest.mark.parametrize("user, n", [("jdoe", 1), ("k_lee", 7), ("student42", 9)])
def test_groq_conda_interactive(user: str, n: int) -> None:
    text = GROQ_CONDA.format(user=user, n=n)
    assert first(text) == "groq.conda-not-found"            # platform inferred from the host name
    assert first(text, platform="groq") == "groq.conda-not-found"
    assert "conda.not-found" not in ids(text)                 # replaced by the groq variant
    elsewhere = text.replace(f"groq-r01-gn-0{n}", "mylaptop").replace("groqflow", "myenv")
    assert first(elsewhere) == "conda.not-found"              # no sign of GroqRack: the generic fault


@pytest.mark.parametrize("user, n", [("jdoe", 3), ("mgarcia", 5)])
def test_groq_conda_in_batch_job(user: str, n: int) -> None:
    found = ids(GROQ_JOB.format(user=user, n=n))
    assert found[0] == "conda.not-found-in-batch-job"
    assert "groq.conda-not-found" not in found and "conda.not-found-in-script" not in found
    assert "groq.groqflow-not-found" in found


def test_groq_other_documented_faults() -> None:
    assert first("ERROR: Could not install packages due to an OSError: [Errno 13] Permission denied: 'METADATA'\n"
                 "Consider using the `--user` option or check the permissions.\n", platform="groq") \
        == "groq.pip-permission-metadata"
    assert first("groqflow.common.exceptions.StageError: groq-devtools>=0.9.2.1 is a required dependency for this "
                 "part of GroqFlow. However, groq-devtools was not found.") == "groq.devtools-missing"
    assert first("[ann@groq-login-02 minilm]$ qsub -l select=1,place=excl run_minilmv2.sh\n"
                 "-bash: qsub: command not found\n") == "groq.qsub-from-login-node"
    assert first("(groqflow) [bo@groq-r01-gn-04 bert]$ python bert_tiny.py\n"
                 "RuntimeError: Dataset scripts are no longer supported, but found sst.py\n") == "groq.datasets-too-new"
    assert first("You have chosen to not have conda modify your shell scripts at all.\n"
                 "To activate conda's base environment in your current shell session:\n") == "conda.init-declined"


CEREBRAS_SKEW = """\
(venv_cerebras_pt) [{user}@cer-usn-0{n} gpt3]$ cszoo fit configs/Cerebras_GPT/111m_modified.yaml --job_labels name=gpt3_111m --model_dir model_dir_gpt3_111m
2025-10-0{n} 12:01:02,003 INFO:   Job id: wsjob-{h}, workflow id: wflow-{h}, namespace: job-operator, remote log path: /n1/wsjob/workdir/job-operator/wsjob-{h}
2025-10-0{n} 12:01:02,993 WARNING:   Event 2025-10-0{n} 12:01:01 +0000 UTC reason=InconsistentVersion object=wsjob-{h} message='Warning: job image version 2.{n}.1-202507111115-6-48e76807 is inconsistent with cluster server version 3.0.1-202508200300-150-bba1322a+bba1322aed, there's a risk job could fail due to inconsistent setup.'
"""  # noqa: E501 (real log lines, kept whole)


@pytest.mark.parametrize("user, n, h", [("jdoe", 1, "abc123def"), ("seonghapark", 2, "9f8e7d6c5b")])
def test_cerebras_version_skew(user: str, n: int, h: str) -> None:
    assert first(CEREBRAS_SKEW.format(user=user, n=n, h=h)) == "cerebras.inconsistent-version"


def test_cerebras_other_documented_faults() -> None:
    assert first("ERROR: pip's dependency resolver does not currently take into account all the packages that are installed.\n"
                 "cerebras-modelzoo 2.5.0 requires cerebras_pytorch==2.5.0, but you have cerebras-pytorch 2.4.0 which is incompatible.\n") \
        == "cerebras.modelzoo-pytorch-mismatch"
    assert first("RuntimeError: The package `cerebras_modelzoo` is not a mountable package on the appliance since it is "
                 "not available in PyPI. It must be installed as an editable package using:") == "cerebras.modelzoo-not-editable"
    mismatch = ("  File \"/home/u1/R_2.10.0/modelzoo/src/cerebras/modelzoo/trainer/validate.py\", line 40\n"
                "pydantic_core._pydantic_core.ValidationError: 2 validation errors for function-before[unpack_trainer(), tuple[TrainerConfig]]\n"
                "trainer.init.precision.mixed_precision\n"
                "  Extra inputs are not permitted [type=extra_forbidden, input_value=True, input_type=bool]\n")
    assert first(mismatch) == "cerebras.config-release-mismatch"
    assert first("KeyError: \"Model configuration must have a 'name' key.\"") == "cerebras.model-name-key"
    assert first("  Value error, Path train_data does not exist. [type=value_error, input_value='train_data', input_type=str]") \
        == "cerebras.relative-data-path"
    assert first("error: pathspec 'Release_2.9.0' did not match any file(s) known to git") == "cerebras.release-tag-missing"


def test_graphcore_documented_faults() -> None:
    assert first("[ann@gc-poplar-02 mnist]$ python mnist_poptorch.py\n"
                 "poptorch.poptorch_core.Error: In poptorch/source/LowerToPopart.cpp:1440: 'poptorch_cpp_error': "
                 "Failed to acquire 4 IPU(s)\n") == "graphcore.ipu-acquire-failed"
    fabric = ("poptorch.poptorch_core.UnrecoverableError: In unknown:0: 'poplar_unrecoverable_runtime_error': "
              "read_config_space(offset=0x3030): Could not complete operation. Fabric error: QP is not operational, "
              "device 3, IP 10.1.5.7:50054. IPUoF Server unreachable\n"
              "srun: error: gc-poplar-04: task 0: Exited with exit code 1\n")
    assert first(fabric) == "graphcore.fabric-error"
    assert first("[bo@gc-poplar-03 ~]$ popc --version\n-bash: popc: command not found\n") == "graphcore.sdk-not-enabled"
    assert first("ERROR: poptorch-3.3.0+113432_960e9c294b_ubuntu_20_04-cp38-cp38-linux_x86_64.whl is not a supported "
                 "wheel on this platform.") == "graphcore.poptorch-wheel-python"


def test_sambanova_documented_faults() -> None:
    assert first("/home/ann/BertLarge/bertlrg/bertlrg.pef does not exist, exiting") == "sambanova.pef-missing"
    assert first("Batchsize 48 is invalid use 16,32,64,or 128,256") == "sambanova.batchsize-invalid"
    assert first("(base) [bo@sn30-r2-h1 ~]$ srun python lenet.py compile -b=1 --pef-name=lenet") == "sambanova.conda-active"
    assert first("cp: cannot stat '/data/ANL/scripts/Gpt1.5B_single_compile.sh': No such file or directory") \
        == "sambanova.script-path-drift"


def test_generic_faults() -> None:
    assert first("fatal: unable to access 'https://github.com/groq/groqflow.git/': Failed to connect to github.com "
                 "port 443 after 130996 ms: Connection timed out") == "network.connect-timeout"
    assert first("git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.") \
        == "repo.ssh-publickey"
    assert first("sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified") \
        == "slurm.invalid-account"
    assert first("slurmstepd: error: *** JOB 123 ON gc-poplar-02 CANCELLED AT 2024-11-12T03:15:02 DUE TO TIME LIMIT ***") \
        == "slurm.time-limit"
    assert first("qsub: Job exceeds queue resource limits") == "pbs.exceeds-limits"
    assert first("ImportError: /lib64/libstdc++.so.6: version `GLIBCXX_3.4.29' not found (required by /x.so)") \
        == "lib.glibcxx-too-old"
    assert first("OSError: [Errno 122] Disk quota exceeded: '/home/x/.cache/pip/http/a'") == "disk.quota-exceeded"
    assert first("-bash: /home/x/venvs/graphcore/poptorch33_env/bin/pip: /home/x/venvs/graphcore/poptorch33_env/bin/python3: "
                 "bad interpreter: No such file or directory") == "venv.bad-interpreter"


# -- context rules ------------------------------------------------------------------------------

def test_batch_job_recognised_from_the_file_name() -> None:
    text = "conda: command not found\n"
    assert first(text, source_name="/home/jdoe/run_minilmv2.sh.o3084") == "conda.not-found-in-batch-job"
    assert first(text, source_name="slurm-10671.out") == "conda.not-found-in-batch-job"
    assert first(text, source_name="notes.txt") == "conda.not-found"


def test_batch_marker_after_the_error_still_counts() -> None:
    text = "conda: command not found\n" + "x\n" * 50 + "=>> PBS: job killed: walltime 3630 exceeded limit 3600\n"
    found = ids(text)
    assert found[0] in ("conda.not-found-in-batch-job", "pbs.walltime-exceeded")
    assert "conda.not-found-in-batch-job" in found and "conda.not-found" not in found


def test_script_vs_interactive() -> None:
    assert first("./setup.sh: line 3: conda: command not found") == "conda.not-found-in-script"
    assert first("-bash: conda: command not found") == "conda.not-found"


def test_near_context_changes_meaning() -> None:
    gc = "[a@gc-poplar-02 ~]$ gc-monitor --no-card-info\nSegmentation fault (core dumped)\n"
    found = explain_text(gc.splitlines())
    assert [f.fault for f in found] == ["graphcore.gc-monitor-segfault"] and found[0].harmless
    far = "[a@gc-poplar-02 ~]$ gc-monitor\n" + "ok\n" * 10 + "Segmentation fault (core dumped)\n"
    assert first(far) == "run.segfault"


def test_no_proxy_vs_offline_compute_node() -> None:
    err = ("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='huggingface.co', port=443): "
           "Max retries exceeded with url: /bert-large-uncased/resolve/main/config.json")
    assert first(err) == "network.no-proxy"
    assert first("#SBATCH --ipus=1\n" + err) == "network.compute-node-offline"


# -- harmless, empty, ranking, lines --------------------------------------------------------------

HARMLESS_LOG = """\
[jdoe@groq-r01-gn-02 minilm]$ python minilmv2.py
Building "minilmv2"
    ✓ Exporting PyTorch to ONNX
/home/jdoe/groqflow/groqflow/groqmodel/execute.py:80: DeprecationWarning: `product` is deprecated as of NumPy 1.25.0, and will be removed in NumPy 2.0. Please use `prod` instead.
| Source | Spearman Rank Correlation Coefficient | end-to-end latency (ms) | end-to-end IPS | on-chip latency (ms) | on-chip IPS |
|  groq  |                 0.8204                |           0.47          |    2144.87     |         0.38         |   2620.58   |
"""  # noqa: E501 (real log lines, kept whole)

GRAPHCORE_HARMLESS = """\
srun: job 10671 queued and waiting for resources
srun: job 10671 has been allocated resources
[13:44:50.404] [poptorch:cpp] [warning] [DISPATCHER] Type coerced from Long to Int for tensor id 10
Failed to find compiled extension; rebuilding.
Graph compilation: 100%|██████████| 100/100 [00:20<00:00]
Epochs: 100%|██████████| 10/10 [01:17<00:00,  7.71s/it]
Accuracy on test set: 96.85%
"""


@pytest.mark.parametrize("log", [HARMLESS_LOG, GRAPHCORE_HARMLESS])
def test_only_harmless_findings_for_a_healthy_log(log: str) -> None:
    found = explain_text(log.splitlines())
    assert found and all(f.harmless for f in found)


def test_harmless_ranked_after_causes() -> None:
    found = explain_text((HARMLESS_LOG + "ModuleNotFoundError: No module named 'groqflow'\n").splitlines())
    assert not found[0].harmless and found[0].fault == "groq.groqflow-not-found"
    assert found[-1].harmless


def test_no_finding_is_an_empty_list() -> None:
    assert explain_text([]) == []
    assert explain_text(["all good", "Training completed successfully!"]) == []


def test_line_numbers_and_counts() -> None:
    lines = ["ok"] * 10 + ["Disk quota exceeded"] + ["ok"] * 5 + ["OSError: [Errno 122] Disk quota exceeded"] * 7
    [f] = explain_text(lines)
    assert f.fault == "disk.quota-exceeded"
    assert f.lines == (11, 17, 18, 19, 20) and f.hits == 8


def test_platform_filter_narrows() -> None:
    text = "ModuleNotFoundError: No module named 'poptorch'\n"
    assert first(text) == "graphcore.poptorch-not-found"
    assert first(text, platform="groq") == "python.module-not-found"


# -- wrapping, encodings, odd input ---------------------------------------------------------------

def test_soft_wrapped_message() -> None:
    wrapped = ("ERROR: Could not find a version that satisfies the requirement cerebras_pytorch==2.10.0 (from\n"
               "versions: none)\n")
    assert first(wrapped) == "packages.no-matching-version"
    ensurepip = ("The virtual environment was not created successfully because ensurepip is not\n"
                 "available.  On Debian/Ubuntu systems, you need to install the python3-venv\n")
    assert first(ensurepip) == "venv.ensurepip-missing"
    # an indented continuation line
    assert first("sbatch: error: Batch job submission failed: Requested node\n    configuration is not available\n") \
        == "slurm.node-config-unavailable"


def test_hard_wrap_inside_a_word_at_terminal_width() -> None:
    msg = "srun: error: Unable to allocate resources: Requested node configuration is not available"
    full = "#" * (76 - msg.index("configuration")) + " " * 0 + msg  # column 80 falls 4 letters into it
    text = full[:80] + "\n" + full[80:] + "\n"
    assert text.splitlines()[0].endswith("node conf") and text.splitlines()[1].startswith("iguration")
    assert first(text) == "slurm.node-config-unavailable"


def test_crlf_invalid_utf8_and_nul_free_binary_noise(tmp_path: Path) -> None:
    path = tmp_path / "win.log"
    path.write_bytes(b"caf\xe9 \xff\xfe\r\nqsub: Unknown queue\r\n\x80\x81 Disk quota exceeded\r\n")
    assert [f.fault for f in explain_file(path)] == ["disk.quota-exceeded", "pbs.unknown-queue"] or \
        {f.fault for f in explain_file(path)} == {"disk.quota-exceeded", "pbs.unknown-queue"}


def test_no_trailing_newline_and_very_long_line(tmp_path: Path) -> None:
    path = tmp_path / "long.log"
    with open(path, "wb") as fh:
        fh.write(b"a" * (3 << 20) + b" Disk quota exceeded " + b"b" * (2 << 20) + b"\nqsub: Unknown queue")
    found = {f.fault: f.lines for f in explain_file(path)}
    assert found["pbs.unknown-queue"] == (2,)
    assert "disk.quota-exceeded" in found and found["disk.quota-exceeded"] == (1,)


def test_result_does_not_depend_on_how_input_is_split() -> None:
    text = (GROQ_JOB.format(user="u", n=2) + HARMLESS_LOG + CEREBRAS_SKEW.format(user="v", n=3, h="ab12")).encode()
    text = text * 3

    def run(pieces: list[bytes]) -> list[tuple[str, tuple[int, ...]]]:
        m = Matcher(default())
        for p in pieces:
            m.feed(p)
        return [(f.fault, f.lines) for f in m.finish()]

    whole = run([text])
    rnd = random.Random(3)
    for _ in range(5):
        cuts = sorted(rnd.sample(range(1, len(text)), 40))
        pieces = [text[a:b] for a, b in zip([0] + cuts, cuts + [len(text)])]
        assert run(pieces) == whole
    assert run([bytes([b]) for b in text[:3000]]) == run([text[:3000]])


def _write_big(path: Path, megabytes: int) -> None:
    rnd = random.Random(1)
    noise = [f"2025-11-02 10:{i % 60:02d}:00,123 INFO:   | Train Device=CSX, Step={i}, Loss=9.{i}, Rate={i}.0 samples/sec"
             for i in range(500)] + [f"Requirement already satisfied: pkg{i} in /home/u/venv/lib/python3.11/site-packages"
                                     for i in range(100)]
    with open(path, "w", encoding="utf-8") as fh:
        written = 0
        while written < megabytes << 20:
            block = "\n".join(rnd.choice(noise) for _ in range(5000)) + "\n"
            fh.write(block)
            written += len(block)
        fh.write("OSError: [Errno 28] No space left on device\n")


@pytest.mark.slow
def test_large_file_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    _write_big(path, 48)
    explain_file(path)  # warm the knowledge base outside the measurement
    tracemalloc.start()
    try:
        found = explain_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [f.fault for f in found] == ["disk.full"]
    assert peak < 24 << 20, f"peak {peak / 1e6:.1f} MB for a {path.stat().st_size / 1e6:.0f} MB file"
