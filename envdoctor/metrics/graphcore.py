"""Graphcore (PopTorch / poprun) logs.

    Graph compilation: 100%|██████████| 100/100 [00:20<00:00]
    Epochs: 100%|██████████| 10/10 [01:17<00:00,  7.71s/it]
    Loss: 0.0312 | Accuracy: 98.75% : 100%|██████████| 150/150 [00:07<00:00]   (MNIST's per-batch bar)
    Accuracy on test set: 96.85%
    step 0 of epoch 0, loss: 10.91322, acc: 2.0e-05, lr: 0.000128, throughput: 646.84 samples/sec
    [1,0]<stdout>:[INFO] throughput: 8125.8 samples/sec
    Compiled/Loaded model in 97.88873339025304 secs      Training time: 3.297 secs
    [INFO] Finished training. ... It took: 0:05:26.090631
"""
from __future__ import annotations

import re

from envdoctor.metrics.base import NUMBER, Parser

_ACC = re.compile(rf"Accuracy on test set: (?P<v>{NUMBER})\s*%")
_BATCH_BAR = re.compile(rf"Loss: (?P<loss>{NUMBER}|nan|inf) \| Accuracy: (?P<acc>{NUMBER})% ")
_THROUGHPUT = re.compile(rf"throughput: (?P<v>{NUMBER}) samples/sec")
_LOSS = re.compile(rf"\bloss: (?P<v>{NUMBER}|nan|inf)")
_BAR = re.compile(r"^\s*(?P<what>Graph compilation|Epochs):\s+(?P<pct>\d+)%\|[^|]*\|\s*(?P<n>\d+)/(?P<total>\d+)\s*"
                  r"\[(?P<elapsed>(?:\d+:)?\d+:\d+)")
_COMPILED = re.compile(rf"Compiled/Loaded model in (?P<v>{NUMBER}) secs")
_TRAIN_TIME = re.compile(rf"Training time: (?P<v>{NUMBER}) secs")
_TOOK = re.compile(r"It took: (?P<h>\d+):(?P<m>\d+):(?P<s>\d+(?:\.\d+)?)")


def _clock(text: str) -> float:
    seconds = 0.0
    for part in text.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


class GraphcoreParser(Parser):
    name = "graphcore"
    keywords = ('Accuracy on test set', 'throughput:', '%|', 'secs', 'It took:')

    def line(self, text: str) -> bool:
        if "Accuracy on test set" in text and self.capture(_ACC, text, "accuracy"):
            return True
        if "throughput:" in text:
            m = _THROUGHPUT.search(text)
            if not m:
                return False
            self.mean("throughput", float(m.group("v")))
            self.capture(_LOSS, text, "loss")
            return True
        if "| Accuracy: " in text:  # the bar's description: the last batch's mean loss and accuracy
            m = _BATCH_BAR.search(text)
            if m:
                self.set("loss", float(m.group("loss")))
                self.set("train_accuracy", float(m.group("acc")))
                return True
        if "%|" in text:
            m = _BAR.search(text)
            if m:
                if m.group("what") == "Epochs":
                    self.set("epochs", int(m.group("n")))
                    self.set("train_seconds", _clock(m.group("elapsed")))
                elif m.group("pct") == "100":
                    self.set("compile_seconds", _clock(m.group("elapsed")))
                return True
        if "secs" in text:
            for regex, key in ((_COMPILED, "compile_seconds"), (_TRAIN_TIME, "train_seconds")):
                m = regex.search(text)
                if m:
                    self.set(key, float(m.group("v")))
                    return True
        if "It took:" in text:
            m = _TOOK.search(text)
            if m:
                self.set("train_seconds", int(m.group("h")) * 3600 + int(m.group("m")) * 60 + float(m.group("s")))
                return True
        return False
