"""Fault families on real texts (from public threads and the platforms' documentation): the
right entry, and a fix that names what the log named."""
from __future__ import annotations

from envdoctor.knowledge import explain_text
from envdoctor.knowledge.matcher import Finding


def causes(text: str, platform: str | None = None) -> list[Finding]:
    return [f for f in explain_text(text, platform=platform) if not f.harmless]


def top(text: str, platform: str | None = None) -> Finding:
    found = causes(text, platform)
    assert found, f"nothing recognised in {text!r}"
    return found[0]


def said(f: Finding) -> str:
    return "\n".join([f.title, f.cause, f.fix, *f.commands])


# -- X: command not found, in every shell's words -------------------------------------------------

def test_command_not_found_in_each_shell_names_the_command() -> None:
    shapes = {
        "./runner.sh: line 3: module: command not found": "module",           # bash (bsc-mem/Mess-benchmark#1)
        "zsh: command not found: pip": "pip",                                   # zsh (pypa/pip#12582)
        "/bin/sh: 1: module: not found": "module",                              # dash (nskvir/RepEnrich#4)
        "gc-monitor: Command not found.": "gc-monitor",                          # csh/tcsh
        "./install.sh: linha 82: pip: comando não encontrado": "pip",           # bash, pt_BR
        "FileNotFoundError: [Errno 2] No such file or directory: 'sbatch': 'sbatch'": "sbatch",  # subprocess
        'Cannot run program "sbatch" (in directory "/work"): error=2, No such file or directory': "sbatch",
    }
    for text, cmd in shapes.items():
        f = top(text)
        assert f.fault == "shell.command-not-found", text
        assert f"`{cmd}`" in f.title


def test_what_provides_each_course_command() -> None:
    module = top("/scratch/HCP/FreeSurferPipeline.sh: line 4: module: command not found")
    assert "#!/bin/bash -l" in module.fix and "type module" in module.commands
    slurm = top("zsh: command not found: srun")
    assert "/opt/slurm/bin/srun" in said(slurm)
    pbs = top("zsh: command not found: qstat")
    assert "groq-r01-gn-01" in said(pbs)
    poplar = top("zsh: command not found: gc-info")
    assert "source /software/graphcore/poplar_sdk/3.3.0/enable" in poplar.commands
    zoo = top("zsh: command not found: cszoo")
    assert "venv_cerebras_pt" in said(zoo) and "pip install -e" in said(zoo)
    lfs = top("zsh: command not found: git-lfs")
    assert lfs.fault == "shell.command-not-found" and "git lfs install" in lfs.commands
    tsp = top("-bash: tsp-ctl: command not found")
    assert "GroqWare" in tsp.cause
    other = top("-bash: nvcc-like-tool: command not found")
    assert "type -a nvcc-like-tool" in other.commands


def test_a_specific_entry_wins_on_its_line_and_the_family_keeps_the_others() -> None:
    log = "-bash: conda: command not found\n-bash: module: command not found\n"
    found = [f.fault for f in causes(log)]
    assert found[0] == "conda.not-found"
    assert "shell.command-not-found" in found
    family = [f for f in causes(log) if f.fault == "shell.command-not-found"]
    assert len(family) == 1 and "`module`" in family[0].title  # conda's line counted once, by conda's entry


def test_different_commands_are_different_findings_at_most_three() -> None:
    log = "\n".join(f"-bash: tool{c}: command not found" for c in "abcde") + "\n"
    family = [f for f in causes(log) if f.fault == "shell.command-not-found"]
    assert len(family) == 3
    assert sum(f.hits for f in family) == 5


# -- interpreters and installs that moved -----------------------------------------------------------

def test_missing_conda_install_and_bad_interpreters() -> None:
    f = top("-bash: /home/u/miniconda3/bin/conda: No such file or directory")
    assert f.fault == "conda.install-missing" and "/home/u/miniconda3/bin/conda" in f.title
    f = top("bash: /code/env/bin/pip: /opt/code/env/bin/python2.7: bad interpreter: No such file or directory")
    assert f.fault == "venv.bad-interpreter"
    f = top("Failed to load paths: /bin/sh: /Users/j/.local/share/virtualenvs/src-_ygy3/bin/python: No such file or directory")
    assert f.fault == "venv.bad-interpreter"
    f = top("./install-service.sh: line 763: /opt/meshcore-bot/venv/bin/pip: cannot execute: required file not found")
    assert f.fault == "venv.bad-interpreter"


# -- Python exceptions ----------------------------------------------------------------------------

def test_module_not_found_names_the_package_to_install() -> None:
    cases = {"cv2": "pip install opencv-python", "yaml": "pip install pyyaml", "sklearn": "pip install scikit-learn",
             "PIL": "pip install Pillow", "skimage.io": "pip install scikit-image", "requests_toolbelt.x": "pip install requests_toolbelt"}
    for module, install in cases.items():
        f = top(f"Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\n"
                f"ModuleNotFoundError: No module named '{module}'\n")
        assert f.fault == "python.module-not-found"
        assert f"`{module}`" in f.title and install in f.commands, (module, f.commands)
        assert "which python" in f.commands  # the active env first
    py2 = top("ImportError: No module named yaml")
    assert "pip install pyyaml" in py2.commands


def test_vendor_modules_keep_their_own_entries() -> None:
    assert top("ModuleNotFoundError: No module named 'poptorch'", platform="graphcore").fault == "graphcore.poptorch-not-found"
    assert top("ModuleNotFoundError: No module named 'cerebras.pytorch'", platform="cerebras").fault == "cerebras.module-not-found"
    generic = top("ModuleNotFoundError: No module named 'poptorch'", platform="groq")
    assert generic.fault == "python.module-not-found" and "poptorch-*.whl" in said(generic)


def test_undefined_symbol_names_the_symbol() -> None:
    f = top("ImportError: /usr/local/lib/python3.5/dist-packages/_torch_sox.cpython-35m-x86_64-linux-gnu.so: "
            "undefined symbol: _ZN2at19UndefinedTensorImpl10_singletonE")
    assert f.fault == "lib.undefined-symbol" and "_ZN2at19UndefinedTensorImpl10_singletonE" in f.title
    assert "another version" in f.cause


def test_oserror_by_errno() -> None:
    assert top("OSError: [Errno 28] No space left on device: '/tmp/waydroidimage/x'").fault == "disk.full"
    assert top("OSError: [Errno 122] Disk quota exceeded: '/home/586/tn9356/.local/share/jupyter/k.json'").fault \
        == "disk.quota-exceeded"
    f = top("PermissionError: [Errno 13] Permission denied: '/home/ann/shared_runs/cache.lock'")
    assert f.fault == "os.permission-denied" and "/home/ann/shared_runs/cache.lock" in f.title
    # the shared software tree has its own, more specific entry
    assert top("PermissionError: [Errno 13] Permission denied: '/software/datasets/owt/x'").fault \
        == "disk.shared-tree-not-writable"
    f = top("FileNotFoundError: [Errno 2] No such file or directory: 'train_data/shard_0.h5'")
    assert f.fault == "os.file-not-found" and "train_data/shard_0.h5" in f.title


# -- pip ------------------------------------------------------------------------------------------

def test_conflicting_pins_are_named_from_the_resolver() -> None:
    log = ("ERROR: Cannot install dgb==0.1 and dgb==0.2 because these package versions have conflicting dependencies.\n\n"
           "The conflict is caused by:\n    dgb 0.2 depends on numpy==1.23.4\n    The user requested numpy==1.26.0\n\n"
           "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/user_guide/\n")
    found = causes(log)
    assert found[0].fault in ("packages.conflict-pin", "packages.resolution-impossible")
    pins = [f.title for f in found if f.fault == "packages.conflict-pin"]
    assert any("numpy==1.23.4" in t and "dgb 0.2" in t for t in pins)
    assert any("numpy==1.26.0" in t for t in pins)
    assert "packages.resolution-impossible" in [f.fault for f in found]


def test_pip_wheel_python_ssl_proxy_and_managed() -> None:
    f = top("ERROR: mmdeploy_python-1.0.0rc3-cp39-none-win_amd64.whl is not a supported wheel on this platform.")
    assert f.fault == "packages.wheel-not-supported" and "mmdeploy_python-1.0.0rc3-cp39-none-win_amd64.whl" in f.title
    f = top("ERROR: Could not find a version that satisfies the requirement googlesearch-python==2020.0.2 "
            "(from versions: 1.0.0, 1.1.0)\nERROR: No matching distribution found for googlesearch-python==2020.0.2")
    assert f.fault == "packages.no-matching-version" and "googlesearch-python==2020.0.2" in f.title
    assert top("error: externally-managed-environment\n\n× This environment is externally managed").fault \
        == "packages.externally-managed"
    ssl = ("WARNING: pip is configured with locations that require TLS/SSL, however the ssl module in Python is not available.\n"
           "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken "
           "by 'SSLError(\"Can't connect to HTTPS URL because the SSL module is not available.\")': /simple/numpy/\n")
    assert [f.fault for f in causes(ssl)][0] == "packages.ssl-module-missing"
    assert "network.proxy-error" not in [f.fault for f in causes(ssl)]
    proxy = ("WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection "
             "broken by 'ProxyError('Cannot connect to proxy.', ConnectionResetError(10054, 'forcibly closed'))': /simple/pip/")
    assert top(proxy).fault == "network.proxy-error"
    nocon = ("WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection "
             "broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: "
             "Failed to establish a new connection: [Errno 101] Network is unreachable')': /simple/torch/")
    assert top(nocon).fault == "network.no-proxy"


# -- schedulers -----------------------------------------------------------------------------------

def test_slurm_refusals_and_kills() -> None:
    cases = {
        "sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified":
            "slurm.invalid-account",
        "sbatch: error: invalid partition specified: pibu_el8\nsbatch: error: Batch job submission failed: "
        "Invalid partition name specified": "slurm.invalid-partition",
        "sbatch: error: Batch job submission failed: Invalid qos specification": "slurm.qos-policy",
        "sbatch: error: Batch job submission failed: Requested node configuration is not available":
            "slurm.node-config-unavailable",
        "srun: error: Unable to allocate resources: Requested node configuration is not available":
            "slurm.node-config-unavailable",
        "slurmstepd: error: *** JOB 867816 ON c0700a-s1 CANCELLED AT 2021-05-11T12:06:17 DUE TO TIME LIMIT ***":
            "slurm.time-limit",
        "slurmstepd: error: Detected 1 oom_kill event in StepId=14604003.batch. Some of your processes may have been "
        "killed by the cgroup out-of-memory handler.": "slurm.oom-kill",
        "sbatch: error: This does not look like a batch script.  The first\nsbatch: error: line must start with #! "
        "followed by the path to an interpreter.": "slurm.not-a-batch-script",
    }
    for text, fault in cases.items():
        assert top(text).fault == fault, text


def test_pbs_refusals_and_kills() -> None:
    cases = {
        "qsub: Unknown queue": "pbs.unknown-queue",
        "qsub: submit error (Unknown queue MSG=requested queue not found)": "pbs.unknown-queue",
        "qsub: Job violates queue and/or server resource limits": "pbs.exceeds-limits",
        "qsub: No active allocation": "pbs.no-allocation",
        "=>> PBS: job killed: walltime 86415 exceeded limit 86400": "pbs.walltime-exceeded",
        "=>> PBS: job killed: mem 129GB exceeded limit 128GB": "pbs.mem-exceeded",
    }
    for text, fault in cases.items():
        assert top(text).fault == fault, text


# -- git, locale, devices -------------------------------------------------------------------------

def test_git_families() -> None:
    f = top("error: pathspec 'Release_2.3.0' did not match any file(s) known to git", platform="groq")
    assert f.fault == "repo.pathspec" and "Release_2.3.0" in f.title
    f = top("Cloning into 'findomain'...\nfatal: Remote branch develop not found in upstream origin")
    assert f.fault == "repo.remote-branch-not-found" and "develop" in f.title
    assert top("$ git lfs install\ngit: 'lfs' is not a git command. See 'git --help'.").fault == "repo.lfs-missing"
    assert top("version https://git-lfs.github.com/spec/v1\noid sha256:36ef65\nsize 94853207").fault == "repo.lfs-pointer"
    assert top("remote: Support for password authentication was removed on August 13, 2021.\n"
               "fatal: Authentication failed for 'https://github.com/a/b.git/'").fault == "repo.https-auth-failed"
    assert top("git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.").fault \
        == "repo.ssh-publickey"


def test_locale_and_ascii_output() -> None:
    f = top("-bash: warning: setlocale: LC_ALL: cannot change locale (en_US.UTF-8)")
    assert f.fault == "shell.locale" and "en_US.UTF-8" in f.title and "export LC_ALL=C.UTF-8 LANG=C.UTF-8" in f.commands
    f = top("    print(tokens)\nUnicodeEncodeError: 'ascii' codec can't encode character u'\\u2019' in position 289")
    assert f.fault == "shell.ascii-encoding"


def test_no_device_means_wrong_node_or_not_requested() -> None:
    for text, device in (("RuntimeError: No GroqChips found", "GroqChip"), ("No IPU devices found", "IPU"),
                         ("Error: No RDU devices found", "RDU"), ("No CS systems available", "CS")):
        f = top(text)
        assert f.fault == "accel.no-device" and device in f.title
        assert "did not ask the scheduler" in f.cause
    ipu = top("poptorch.poptorch_core.Error: 'poptorch_cpp_error': Failed to acquire 1 IPU(s)")
    assert ipu.fault == "graphcore.ipu-acquire-failed"
