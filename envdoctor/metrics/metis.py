"""The Metis reference-run client (envdoctor/recipes/files/metis_chat.py): one line per
chat completion and a summary.

    request 1/3: latency 0.412 s, prompt_tokens 19, completion_tokens 64, tokens/s 155.3
    answer 1: Paris. Paris has been the capital of France ...
    summary: requests 3, completion_tokens 192, mean latency 0.415 s, tokens/s 154.2

The format is envdoctor's own (the guide's example prints only the answer), so the parser
and the client are tested together. latency_s is the mean over requests, tokens_per_sec
the completion tokens over the total time (the summary's; before it, the running means).
"""
from __future__ import annotations

import re

from envdoctor.metrics.base import NUMBER, Parser

_REQUEST = re.compile(rf"^request (?P<i>\d+)/(?P<n>\d+): latency (?P<lat>{NUMBER}) s, prompt_tokens (?P<pt>\d+), "
                      rf"completion_tokens (?P<ct>\d+), tokens/s (?P<tps>{NUMBER})")
_SUMMARY = re.compile(rf"^summary: requests (?P<n>\d+), completion_tokens (?P<ct>\d+), mean latency (?P<lat>{NUMBER}) s, "
                      rf"tokens/s (?P<tps>{NUMBER})")


class MetisParser(Parser):
    name = "metis"
    keywords = ("request ", "summary: ")

    def __init__(self) -> None:
        super().__init__()
        self._tokens = 0
        self._seconds = 0.0

    def line(self, text: str) -> bool:
        m = _REQUEST.match(text)
        if m:
            lat, ct = float(m["lat"]), int(m["ct"])
            self._tokens += ct
            self._seconds += lat
            self.mean("latency_s", lat)
            self.set("completion_tokens", float(self._tokens))
            self.set("requests", float(self.count("latency_s")))
            if self._seconds > 0:
                self.set("tokens_per_sec", self._tokens / self._seconds)
            return True
        m = _SUMMARY.match(text)
        if m:
            self.set("requests", float(m["n"]))
            self.set("completion_tokens", float(m["ct"]))
            self.set("latency_s", float(m["lat"]))
            self.set("tokens_per_sec", float(m["tps"]))
            self.event("completed")
            return True
        return False
