"""The Groq stand-in for GroqFlow's MiniLM v2 and BERT-tiny proof points.

"Building" makes a deterministic model (token embeddings, a sentiment lexicon) and saves
it under ~/.cache/groqflow/<build>; evaluation runs it over generated sentence pairs
(similarity, scored by Spearman correlation against the gold scores) or sentences
(sentiment, scored by accuracy). Inputs are padded to max_seq_length like a compiled
fixed-shape model, so max_seq_length really changes both the work and the score
(long sentences are cut). Latency and IPS are measured: on-chip = the model alone,
end-to-end = tokenization and padding too.
"""
from __future__ import annotations

import json
import math
import os
import random
from typing import Callable, List, Sequence, Tuple, TypeVar

from .common import now, say, spearman, table

WORDS = 400
DIM = 16
PAIRS = 240
SENTENCES = 300


def build(name: str, seed: int, max_seq_length: int, batch_size: int, rebuild: str = "if_needed") -> List[List[float]]:
    rng = random.Random(seed)
    emb = [[rng.gauss(0.0, 1.0) for _ in range(DIM)] for _ in range(WORDS)]
    cache = os.path.join(os.path.expanduser("~"), ".cache", "groqflow", name)
    state = os.path.join(cache, name + "_state.yaml")
    if rebuild == "never":  # -e without -b: the build must exist (groqit(..., rebuild="never"))
        if not os.path.exists(state):
            raise SystemExit("groqflow.common.exceptions.GroqitCacheError: rebuild=\"never\" but no build of %s "
                             "was found in %s" % (name, cache))
        return emb
    say('Building "%s"' % name)
    for step in ("Exporting PyTorch to ONNX", "Optimizing ONNX file", "Checking for Op support",
                 "Converting to FP16", "Compiling model", "Assembling model"):
        say("    \u2713 %s   " % step)
    os.makedirs(cache, exist_ok=True)
    with open(state, "w", encoding="utf-8") as fh:
        fh.write("build_name: %s\nnum_chips_used: 1\nmax_seq_length: %d\nbatch_size: %d\n"
                 % (name, max_seq_length, batch_size))
    with open(os.path.join(cache, "weights.json"), "w", encoding="utf-8") as fh:
        json.dump({"seed": seed}, fh)
    say("\nWoohoo! Saved to ~/.cache/groqflow/%s" % name)
    return emb


def pad(tokens: Sequence[int], length: int) -> Tuple[List[int], List[int]]:
    ids = [1] + list(tokens[:length - 2]) + [2]  # [CLS] ... [SEP]
    mask = [1] * len(ids) + [0] * (length - len(ids))
    return ids + [0] * (length - len(ids)), mask


def embed(emb: List[List[float]], ids: List[int], mask: List[int]) -> List[float]:
    """Mean pooling over every position (padding multiplied out, as the fixed shape demands)."""
    acc = [0.0] * DIM
    for tok, m in zip(ids, mask):
        row = emb[tok]
        for k in range(DIM):
            acc[k] += m * row[k]
    n = max(sum(mask), 1)
    return [a / n for a in acc]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


ItemT = TypeVar("ItemT")
ReadyT = TypeVar("ReadyT")
OutT = TypeVar("OutT")
Padded = Tuple[List[int], List[int]]  # token ids, attention mask


def timed(batches: Sequence[Sequence[ItemT]], prepare: Callable[[ItemT], ReadyT],
          model: Callable[[ReadyT], OutT]) -> Tuple[List[OutT], float, float, int]:
    """Run every batch; returns outputs, end-to-end seconds, on-chip seconds, inputs."""
    outputs: List[OutT] = []
    e2e = chip = 0.0
    inputs = 0
    for batch in batches:
        t0 = now()
        ready = [prepare(item) for item in batch]
        t1 = now()
        outputs.extend(model(item) for item in ready)
        t2 = now()
        e2e += t2 - t0
        chip += t2 - t1
        inputs += len(batch)
    return outputs, e2e, chip, inputs


def report(metric_name: str, cpu: Tuple[str, int, int, float], groq: Tuple[str, int, int, float, float]) -> None:
    """The results table of demo_helpers/compute_performance.py: a `cpu` row (the model on the
    host, end-to-end only: `--` on chip) and a `groq` row."""
    def ms(seconds: float, n: int) -> str:
        return "%.2f" % (1000.0 * seconds / max(n, 1))

    def ips(n: int, size: int, seconds: float) -> str:
        return "%.2f" % (n * size / max(seconds, 1e-9))

    metric, n, size, e2e = cpu
    rows = [["cpu", metric, ms(e2e, n), ips(n, size, e2e), "--", "--"]]
    metric, n, size, e2e, chip = groq
    rows.append(["groq", metric, ms(e2e, n), ips(n, size, e2e), ms(chip, n), ips(n, size, chip)])
    header = ["Source", metric_name, "end-to-end latency (ms)", "end-to-end IPS", "on-chip latency (ms)", "on-chip IPS"]
    say(table(header, rows))


def minilm(max_seq_length: int = 128, batch_size: int = 2, seed: int = 0, rebuild: str = "if_needed",
           execute: bool = True) -> int:
    emb = build("minilmv2", seed, max_seq_length, batch_size, rebuild)
    if not execute:
        return 0
    rng = random.Random(seed + 1)
    pairs, gold = [], []
    for _ in range(PAIRS):
        length = rng.randint(40, 480)
        a = [rng.randrange(3, WORDS) for _ in range(length)]
        share = rng.random()
        b = [tok if rng.random() < share else rng.randrange(3, WORDS) for tok in a]
        pairs.append((a, b))
        gold.append(5.0 * share)
    say("Preprocessing data.")

    def prepare(pair: Tuple[List[int], List[int]]) -> Tuple[Padded, Padded]:
        a, b = pair
        return pad(a, max_seq_length), pad(b, max_seq_length)

    def model(item: Tuple[Padded, Padded]) -> float:
        (ia, ma), (ib, mb) = item
        return cosine(embed(emb, ia, ma), embed(emb, ib, mb))

    say("Running inference on GroqChip.")
    batches = [pairs[i:i + batch_size] for i in range(0, len(pairs), batch_size)]
    scores, e2e, chip, _ = timed(batches, prepare, model)
    rho = spearman(scores, gold)
    say("Running inference using PyTorch model (CPU).")
    singles = [[p] for p in pairs]  # the host model takes one input at a time
    cpu_scores, cpu_e2e, _, _ = timed(singles, prepare, model)
    cpu_rho = spearman(cpu_scores, gold)
    report("Spearman Rank Correlation Coefficient", ("%.4f" % cpu_rho, len(singles), 1, cpu_e2e),
           ("%.4f" % rho, len(batches), batch_size, e2e, chip))
    return 0


def bert_tiny(max_seq_length: int = 128, batch_size: int = 1, seed: int = 0, rebuild: str = "if_needed",
              execute: bool = True) -> int:
    emb = build("bert_tiny", seed, max_seq_length, batch_size, rebuild)
    if not execute:
        return 0
    rng = random.Random(seed + 2)
    polarity = [rng.choice((-1.0, 0.0, 0.0, 1.0)) for _ in range(WORDS)]
    direction = [rng.gauss(0.0, 1.0) for _ in range(DIM)]
    # The "fine-tuned" head: each word's polarity written into its embedding's direction.
    head = [[e + 2.0 * polarity[w] * d for e, d in zip(emb[w], direction)] for w in range(WORDS)]
    data = []
    for _ in range(SENTENCES):
        label = rng.random() < 0.5
        length = rng.randint(20, 400)
        words = []
        for _ in range(length):
            w = rng.randrange(3, WORDS)
            if polarity[w] and rng.random() < 0.2 and (polarity[w] > 0) != label:
                w = rng.randrange(3, WORDS)  # sentences lean towards their label's words
            words.append(w)
        data.append((words, label))
    say("Preprocessing data.")

    def prepare(item: Tuple[List[int], bool]) -> Tuple[Padded, bool]:
        words, label = item
        return pad(words, max_seq_length), label

    def model(item: Tuple[Padded, bool]) -> bool:
        (ids, mask), label = item
        pooled = embed(head, ids, mask)
        base = embed(emb, ids, mask)
        score = sum((p - q) * d for p, q, d in zip(pooled, base, direction))
        return (score > 0) == label

    def accuracy(hits: List[bool], n: int) -> str:
        return "%.2f%%" % (100.0 * sum(bool(h) for h in hits) / max(n, 1))

    say("Running inference on GroqChip.")
    batches = [data[i:i + batch_size] for i in range(0, len(data), batch_size)]
    hits, e2e, chip, n = timed(batches, prepare, model)
    say("Running inference using PyTorch model (CPU).")
    singles = [[d] for d in data]
    cpu_hits, cpu_e2e, _, cpu_n = timed(singles, prepare, model)
    report("Accuracy", (accuracy(cpu_hits, cpu_n), len(singles), 1, cpu_e2e),
           (accuracy(hits, n), len(batches), batch_size, e2e, chip))
    return 0
