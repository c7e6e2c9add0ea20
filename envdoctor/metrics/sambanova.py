"""SambaNova (SambaFlow) logs.

    inner train loop time : 374.67 for 10 epochs, number of global steps: 130, e2e samples_per_sec: 88.82
    Duration:  1234            (the scripts' `echo "Duration: " $SECONDS`)
    Epoch [1/1], Step [60000/60000], Loss: 0.3553      Test Accuracy: 91.40  Loss: 0.3014
    time to first token 1.1981s   Total Latency 1.5310s   tokens/second overall 2.7777
    {'e2e_train_time': 1185.63, 'e2e_training_tokens_per_second': 4421.99, ...}

With several data-parallel instances each prints its own `e2e samples_per_sec`:
`samples_per_sec` is their mean (one instance's throughput), `total_samples_per_sec` their
sum (the job's throughput, which grows with the number of instances), `instances` how many.
"""
from __future__ import annotations

import re

from envdoctor.metrics.base import NUMBER, Parser

_INNER = re.compile(rf"inner train loop time : (?P<t>{NUMBER}) for (?P<e>\d+) epochs, number of global steps: "
                    rf"(?P<g>\d+), e2e samples_per_sec: (?P<sps>{NUMBER})")
_DURATION = re.compile(rf"^\s*Duration:\s+(?P<v>{NUMBER})\s*$")
_STEP_LOSS = re.compile(rf"Epoch \[\d+/\d+\], Step \[\d+/\d+\], Loss: (?P<v>{NUMBER}|nan)")
_TEST = re.compile(rf"Test Accuracy: (?P<a>{NUMBER})\s+Loss: (?P<l>{NUMBER}|nan)")
_SIMPLE = (
    (re.compile(rf"time to first token (?P<v>{NUMBER})s"), "first_token_seconds", "time to first token"),
    (re.compile(rf"Total Latency (?P<v>{NUMBER})s"), "latency_seconds", "Total Latency"),
    (re.compile(rf"tokens/second overall (?P<v>{NUMBER})"), "tokens_per_sec", "tokens/second"),
    (re.compile(rf"'e2e_train_time': (?P<v>{NUMBER})"), "train_seconds", "e2e_train_time"),
    (re.compile(rf"'e2e_training_tokens_per_second': (?P<v>{NUMBER})"), "tokens_per_sec", "e2e_training_tokens"),
    (re.compile(rf"average_loss:(?P<v>{NUMBER})"), "loss", "average_loss:"),
)


class SambanovaParser(Parser):
    name = "sambanova"
    keywords = ('e2e samples_per_sec', 'Duration:', 'Loss:', 'time to first token', 'Total Latency', 'tokens/second',
                'e2e_train', 'average_loss:', 'Finished training.')

    def line(self, text: str) -> bool:
        if "e2e samples_per_sec" in text:
            m = _INNER.search(text)
            if m:
                self.mean("samples_per_sec", float(m.group("sps")))
                self.set("total_samples_per_sec", self.metrics.values.get("total_samples_per_sec", 0.0)
                         + float(m.group("sps")))
                self.mean("train_loop_seconds", float(m.group("t")))
                self.set("epochs", int(m.group("e")))
                self.set("global_steps", int(m.group("g")))
                self.set("instances", self.count("samples_per_sec"))
                return True
            return False
        if "Duration:" in text:
            m = _DURATION.search(text)
            if m:
                self.set("duration_seconds", float(m.group("v")))
                self.event("completed")
                return True
            return False
        if "Loss:" in text:
            m = _TEST.search(text)
            if m:
                self.set("accuracy", float(m.group("a")))
                self.set("loss", float(m.group("l")))
                return True
            m = _STEP_LOSS.search(text)
            if m:
                self.set("loss", float(m.group("v")))
                return True
        matched = False
        for regex, key, needle in _SIMPLE:  # a summary dict holds several on one line
            if needle in text:
                m = regex.search(text)
                if m:
                    self.set(key, float(m.group("v")))
                    matched = True
        if matched:
            return True
        if "Finished training." in text:
            self.event("completed")
            return True
        return False
