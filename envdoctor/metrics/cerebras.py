"""Cerebras model zoo logs (run.py CSX and cszoo fit), releases 1.8 to 2.10.

    | Train Device=CSX, Step=50, Loss=9.44598, Rate=44.84 samples/sec, GlobalRate=44.70 samples/sec, ...
    | Eval Device=CSX, GlobalStep=400, Batch=20, Loss=5.94325, Rate=1163.27 samples/sec, ...
    Avg Eval Loss: 5.928174624443054        - eval/accuracy = 0.16977091133594513
    Training completed successfully!        Processed 48000 training sample(s) in 820.575766695 seconds.
    Training Complete. Completed 1280000 sample(s) in 53.11996841430664 seconds.   (R 1.8)
"""
from __future__ import annotations

import re

from envdoctor.metrics.base import NUMBER, Parser

_NUM = rf"(?P<{{}}>{NUMBER}|nan|inf)"
_TRAIN = re.compile(
    r"\|\s*Train Device=[^,]+,\s*Step=(?P<step>\d+),\s*Loss=" + _NUM.format("loss")
    + r",\s*Rate=" + _NUM.format("rate") + r" samples/sec,\s*GlobalRate=" + _NUM.format("grate") + r" samples/sec")
_EVAL = re.compile(
    r"\|\s*Eval Device=[^,]+,\s*GlobalStep=(?P<step>\d+),\s*Batch=(?P<batch>\d+),\s*Loss=" + _NUM.format("loss")
    + r",\s*Rate=" + _NUM.format("rate") + r" samples/sec,\s*GlobalRate=" + _NUM.format("grate") + r" samples/sec")
_PROCESSED = re.compile(rf"(?:Processed|Completed) (?P<n>\d+) (?:(?P<kind>\w+) )?sample\(s\) in (?P<s>{NUMBER}) seconds\.")
_AVG_EVAL = re.compile(rf"Avg Eval Loss: (?P<v>{NUMBER}|nan|inf)\s*$")
_EVAL_METRIC = re.compile(rf"(?:^|\s)-\s*eval/(?P<k>[A-Za-z0-9_]+) = (?P<v>{NUMBER}|nan|inf)\s*$")


class CerebrasParser(Parser):
    name = "cerebras"
    keywords = ('Device=', 'sample(s) in', 'completed successfully!', 'Training Complete.', 'Compile was successful!',
                'Found existing cached compile', 'Avg Eval Loss:', 'eval/')

    def line(self, text: str) -> bool:
        if "Device=" in text:
            return self._progress(text)
        if "sample(s) in" in text:
            matched = False
            if "Training completed successfully!" in text:  # R 1.9 puts both on one line
                self.event("completed")
                matched = True
            m = _PROCESSED.search(text)
            if m and m.group("kind") in (None, "training"):
                n, s = float(m.group("n")), float(m.group("s"))
                self.set("samples", n)
                self.set("train_seconds", s)
                if s > 0:
                    self.set("samples_per_sec", n / s)
                return True
            return matched
        if "completed successfully!" in text or "Training Complete." in text:
            self.event("evaluated" if "Evaluation" in text else "completed")
            return True
        if "Compile was successful!" in text or "Found existing cached compile" in text:
            self.event("compiled")
            return True
        if "Avg Eval Loss:" in text and self.capture(_AVG_EVAL, text, "eval_loss"):
            return True
        if "eval/" in text:
            m = _EVAL_METRIC.search(text)
            if m:
                self.set("eval_" + m.group("k"), float(m.group("v")))
                return True
        return False

    def _progress(self, text: str) -> bool:
        m = _TRAIN.search(text)
        if m:
            self.set("steps", int(m.group("step")))
            self.set("loss", float(m.group("loss")))
            self.set("rate", float(m.group("rate")))
            self.set("global_rate", float(m.group("grate")))
            if "train_seconds" not in self.metrics.values:
                self.set("samples_per_sec", float(m.group("grate")))
            return True
        m = _EVAL.search(text)
        if m:
            self.set("eval_loss", float(m.group("loss")))
            self.set("eval_rate", float(m.group("grate")))
            return True
        return False
