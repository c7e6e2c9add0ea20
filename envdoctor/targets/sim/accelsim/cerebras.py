"""The Cerebras stand-in: `cszoo fit CONFIG` (R 2.10) and `python run.py CSX --params CONFIG` (R 2.3).

As the real model zoo (autoload_last_checkpoint: bool = True, Cerebras/modelzoo Release_2.10.0
src/cerebras/modelzoo/trainer/callbacks/checkpoint.py:44), a non-empty model directory is
resumed from its last checkpoint, with the real messages. A run starts three wsjobs (a compile,
an execute, and a compile for the evaluation when the config evaluates), each announced with
the release's job-id line (`Job id: wsjob-...` in 2.10; `compile job id: wsjob-...` in 2.3),
and registered under $ENVDOCTOR_SIM_ROOT/var/cerebras/jobs while it runs (the simulated
`csctl get jobs` lists them).

The model is a bigram language model (VOCAB x VOCAB logits) trained with AdamW on a
corpus generated from a fixed Markov chain. A step really counts the token pairs of
`batch_size` sequences and updates every weight, so batch size changes the work per
step (and the throughput), and batch size, learning rate and steps change the loss.
The simulated optimizer scales the learning rate by LR_SCALE: the course's rates are
tuned for 111M parameters, ours has 256.
"""
from __future__ import annotations

import json
import math
import os
import random
import uuid
from typing import Any, Dict, List, Optional, Tuple

from . import miniyaml
from .common import clock, now, say, softmax, stamp

VOCAB = 16
SEQ = 8  # tokens per sample
LR_SCALE = 100.0
CORPUS = 40000

# Where each release keeps the knobs.
KEYS = {
    "2.10": {"batch_size": "trainer.fit.train_dataloader.batch_size", "max_steps": "trainer.init.loop.max_steps",
             "log_steps": "trainer.init.logging.log_steps", "data_dir": "trainer.fit.train_dataloader.data_dir",
             "seed": "trainer.init.seed"},
    "2.3": {"batch_size": "train_input.batch_size", "max_steps": "runconfig.max_steps",
            "log_steps": "runconfig.log_steps", "data_dir": "train_input.data_dir", "seed": "runconfig.seed"},
}


def info(text: str) -> None:
    say("%s INFO:   %s" % (stamp(), text))


def _rates(node: Any) -> List[float]:
    """Every number under a key that ends in learning_rate (optimizer values and schedules)."""
    out: List[float] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if str(key).endswith("learning_rate") and isinstance(value, (int, float)) and not isinstance(value, bool):
                out.append(float(value))
            else:
                out += _rates(value)
    elif isinstance(node, list):
        for item in node:
            out += _rates(item)
    return out


def settings(config: Dict[str, Any], release: str) -> Dict[str, Any]:
    keys = KEYS[release]
    get = lambda k, d: miniyaml.get(config, keys[k], d)  # noqa: E731
    init = miniyaml.get(config, "trainer.init", {}) or {}
    rates = _rates([init.get("optimizer"), init.get("schedulers")] if isinstance(init, dict) else
                   [config.get("optimizer")])
    lr = max(rates) if rates else None  # the schedule's peak
    data_dir = get("data_dir", None)
    if isinstance(data_dir, list):
        data_dir = data_dir[0] if data_dir else None
    evaluates = bool(miniyaml.get(config, "trainer.fit.val_dataloader", None) or config.get("eval_input")) \
        and bool(miniyaml.get(config, "trainer.init.loop.eval_frequency", None) or release == "2.3")
    return {"batch_size": int(get("batch_size", 512)), "max_steps": int(get("max_steps", 400)),
            "log_steps": int(get("log_steps", 0) or 0), "lr": float(lr if lr is not None else 0.00028),
            "data_dir": data_dir, "seed": int(get("seed", 1) or 1), "evaluates": evaluates}


def corpus(seed: int) -> List[int]:
    """Token pair ids (prev * VOCAB + next) of a text from a sparse Markov chain."""
    rng = random.Random(seed)
    successors = [rng.sample(range(VOCAB), 3) for _ in range(VOCAB)]
    weights = [0.6, 0.3, 0.1]
    tokens = [0]
    for _ in range(CORPUS):
        tokens.append(rng.choices(successors[tokens[-1]], weights)[0] if rng.random() > 0.05 else rng.randrange(VOCAB))
    return [a * VOCAB + b for a, b in zip(tokens, tokens[1:])]


class Model:
    def __init__(self) -> None:
        self.w = [0.0] * (VOCAB * VOCAB)
        self.m = [0.0] * (VOCAB * VOCAB)
        self.v = [0.0] * (VOCAB * VOCAB)
        self.t = 0

    def step(self, counts: List[int], lr: float) -> float:
        """One AdamW step on the pair counts of a batch; returns the batch's mean loss."""
        total = sum(counts)
        grad = [0.0] * (VOCAB * VOCAB)
        loss = 0.0
        for prev in range(VOCAB):
            row = counts[prev * VOCAB:(prev + 1) * VOCAB]
            n = sum(row)
            if not n:
                continue
            p = softmax(self.w[prev * VOCAB:(prev + 1) * VOCAB])
            for j in range(VOCAB):
                if row[j]:
                    loss -= row[j] * math.log(max(p[j], 1e-12))
                grad[prev * VOCAB + j] = (n * p[j] - row[j]) / total
        self.t += 1
        b1, b2, eps, wd = 0.9, 0.999, 1e-8, 0.01
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for i, g in enumerate(grad):
            self.m[i] = b1 * self.m[i] + (1 - b1) * g
            self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
            self.w[i] -= lr * ((self.m[i] / c1) / (math.sqrt(self.v[i] / c2) + eps) + wd * self.w[i])
        return loss / total


def latest_checkpoint(model_dir: str) -> Optional[str]:
    """The real naming convention: checkpoint_(step)(_timestamp)?.mdl, newest step last."""
    import re

    found = []
    for name in os.listdir(model_dir) if os.path.isdir(model_dir) else []:
        m = re.fullmatch(r"checkpoint_(\d+)(?:_\d+)?\.mdl", name)
        if m:
            found.append((int(m.group(1)), os.path.join(model_dir, name)))
    return sorted(found)[-1][1] if found else None


def autoload(model_dir: str, checkpoint: Optional[str]) -> Optional[str]:
    """What the model zoo does before training: an explicit --checkpoint_path, else the last
    checkpoint of the model directory (with the messages the real trainer prints)."""
    if checkpoint:
        return checkpoint
    info("Checkpoint autoloading is enabled. Looking for latest checkpoint in \"%s\" directory with the "
         "following naming convention: `checkpoint_(step)(_timestamp)?.mdl`." % model_dir)
    found = latest_checkpoint(model_dir)
    if found:
        info("Found latest checkpoint at \"%s\"." % found)
    else:
        info("No checkpoints were found in \"%s\"." % model_dir)
        info("No checkpoint was provided. Using randomly initialized model parameters.")
    return found


def train(cfg: Dict[str, Any], model_dir: str, device: str, release: str, checkpoint: Optional[str]) -> Tuple[int, float]:
    pairs = corpus(cfg["seed"])
    model, start_step = Model(), 0
    if checkpoint:
        info("Loading weights from checkpoint %s" % checkpoint)
        state = json.loads(open(checkpoint, encoding="utf-8").read())
        model.w, start_step = state["weights"], int(state["step"])
    batch, steps = cfg["batch_size"], cfg["max_steps"]
    log_steps = cfg["log_steps"] or max(1, steps // 8)
    lr = cfg["lr"] * LR_SCALE
    rng = random.Random(cfg["seed"] * 7919 + start_step)
    limit = len(pairs) - SEQ
    t0 = now()
    last_t, last_samples, samples, loss = t0, 0, 0, float("nan")
    for step in range(start_step + 1, steps + 1):
        counts = [0] * (VOCAB * VOCAB)
        for _ in range(batch):
            s = rng.randrange(limit)
            for pid in pairs[s:s + SEQ - 1]:
                counts[pid] += 1
        loss = model.step(counts, lr)
        samples += batch
        if step % log_steps == 0 or step == steps:
            t = now()
            rate = (samples - last_samples) / max(t - last_t, 1e-9)
            grate = samples / max(t - t0, 1e-9)
            remaining = (steps - step) * (t - t0) / max(step - start_step, 1)
            if release == "2.3":
                info("| Train Device=%s, Step=%d, Loss=%.5f, Rate=%.2f samples/sec, GlobalRate=%.2f samples/sec"
                     % (device, step, loss, rate, grate))
            else:
                info("| Train Device=%s, Step=%d, Loss=%.5f, Rate=%.2f samples/sec, GlobalRate=%.2f samples/sec, "
                     "LoopTimeRemaining=%s, TimeRemaining>%s" % (device, step, loss, rate, grate, clock(remaining),
                                                                 clock(remaining)))
            last_t, last_samples = t, samples
    elapsed = now() - t0
    os.makedirs(model_dir, exist_ok=True)
    ckpt = os.path.join(model_dir, "checkpoint_%d.mdl" % steps)
    info("Saving checkpoint at step %d" % steps)
    with open(ckpt, "w", encoding="utf-8") as fh:
        json.dump({"step": steps, "weights": model.w, "loss": loss}, fh)
    info("Saved checkpoint %s" % ckpt)
    info("Training completed successfully!")
    if release == "2.3":
        info("Processed %d sample(s) in %.9f seconds." % (samples, elapsed))
    else:
        info("Processed %d training sample(s) in %.9f seconds." % (samples, elapsed))
    return samples, elapsed


def fit(config_path: str, model_dir: str, job_labels: Tuple[str, ...] = (), release: str = "2.10",
        checkpoint_path: Optional[str] = None, disable_version_check: bool = False, mode: str = "train") -> int:
    """Run one training job like the appliance does; returns the process exit code."""
    try:
        text = open(config_path, encoding="utf-8").read()
    except OSError:
        say("FileNotFoundError: [Errno 2] No such file or directory: '%s'" % config_path)
        return 1
    cfg = settings(miniyaml.loads(text) or {}, release)
    if cfg["data_dir"] and not os.path.isdir(str(cfg["data_dir"])):
        say("pydantic_core._pydantic_core.ValidationError: 1 validation error for TrainerConfig")
        say("  Value error, Path %s does not exist. [type=value_error]" % cfg["data_dir"])
        return 1
    if mode != "train":
        say("ValueError: the simulated appliance only trains (mode=%r)" % mode)
        return 1
    info("Effective batch size is %d." % cfg["batch_size"])
    start = autoload(model_dir, checkpoint_path)
    info("Compiling the model. This may take a few minutes.")
    labels = ",".join(job_labels)
    workflow = "wflow-" + uuid.uuid4().hex[:22]
    job = wsjob("compile", release, workflow, labels)
    info("Compile was successful!")
    finish_job(job)
    info("Programming Cerebras Wafer Scale Cluster for execution. This may take a few minutes.")
    job = wsjob("execute", release, workflow, labels)
    info("Beginning appliance run")
    try:
        train(cfg, model_dir, "CSX", release, start)
    finally:
        finish_job(job)
    if cfg["evaluates"] and not (release == "2.3" and mode == "train"):  # run.py --mode train never evaluates
        job = wsjob("compile", release, workflow, labels)  # the evaluation's own compile
        finish_job(job)
    return 0


def _jobs_dir() -> Optional[str]:
    root = os.environ.get("ENVDOCTOR_SIM_ROOT")
    return os.path.join(root, "var", "cerebras", "jobs") if root else None


def register_job(name: str, kind: str, labels: str, workflow: str, user: Optional[str] = None) -> Optional[str]:
    """Record a running wsjob where the simulated csctl finds it; returns the record's path."""
    where = _jobs_dir()
    if not where:
        return None
    os.makedirs(where, exist_ok=True)
    path = os.path.join(where, name)
    import getpass

    # One line, the columns `csctl get jobs` prints (the simulated csctl is a shell script).
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("%-14s%-30s%-9s%-10s%-5s%-10s%-9s%-9s%-9s%-16s%s\n"
                 % ("job-operator", name, kind, "P2 (299)", "0m", "0m", "RUNNING", "", user or getpass.getuser(),
                    labels or "", workflow))
    return path


def wsjob(kind: str, release: str, workflow: str, labels: str) -> Tuple[str, Optional[str]]:
    """Start a wsjob: the release's announcement lines, and its csctl record."""
    name = "wsjob-" + uuid.uuid4().hex[:22]
    info("Initiating a new %s wsjob against the cluster server." % kind)
    if release == "2.3":
        info("%s job id: %s, remote log path: /n1/wsjob/workdir/%s" % (kind, name, name))
    else:
        info("Job id: %s, workflow id: %s, namespace: job-operator, remote log path: "
             "/n1/wsjob/workdir/job-operator/%s" % (name, workflow, name))
    return name, register_job(name, kind, labels, workflow)


def finish_job(job: Tuple[str, Optional[str]]) -> None:
    if job[1]:
        try:
            os.unlink(job[1])
        except OSError:
            pass


def run_py(argv: Optional[List[str]] = None) -> int:
    """The R 2.3-era `python run.py CSX ...` command line, shared by every model's run.py
    (as the real model zoo shares it through modelzoo.common.pytorch.run_utils)."""
    import argparse

    parser = argparse.ArgumentParser(prog="run.py")
    parser.add_argument("target_device", choices=("CSX", "CPU", "GPU"))
    parser.add_argument("-p", "--params", required=True)
    parser.add_argument("-m", "--mode", default="train", choices=("train", "eval", "train_and_eval"))
    parser.add_argument("-o", "--model_dir", default="model_dir")
    parser.add_argument("--job_labels", nargs="+", default=[])
    parser.add_argument("--num_workers_per_csx", type=int, default=0)
    parser.add_argument("--num_csx", type=int, default=1)
    parser.add_argument("--mount_dirs", nargs="+", default=[])
    parser.add_argument("--python_paths", nargs="+", default=[])
    parser.add_argument("--compile_dir", default=None)
    parser.add_argument("--checkpoint_path", default=None)
    args = parser.parse_args(argv)
    import cerebras.pytorch  # noqa: F401  (the client wheel must be installed, as on the real system)

    return fit(args.params, args.model_dir, tuple(args.job_labels), release="2.3",
               checkpoint_path=args.checkpoint_path, mode=args.mode)
