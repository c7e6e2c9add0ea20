"""GroqFlow proof points: build lines and the PrettyTable of results.

    Building "minilmv2"      Woohoo! Saved to ~/.cache/groqflow/minilmv2
    | Source | Spearman Rank Correlation Coefficient | end-to-end latency (ms) | end-to-end IPS | on-chip latency (ms) | on-chip IPS |
    |  groq  |                 0.8204                |           0.47          |    2144.87     |         0.38         |   2620.58   |
    Proof point minilmv2.py finished!

The real table has a `cpu` row beside `groq` (the same model on the host: end-to-end only,
`--` on chip; demo_helpers/compute_performance.py): its cells become `cpu_<metric>`, so that
the `groq` values stay the chip's.
"""
from __future__ import annotations

import re

from envdoctor.metrics.base import NUMBER, Parser

COLUMN_KEYS = {
    "spearman rank correlation coefficient": "spearman",
    "accuracy": "accuracy",
    "end-to-end latency (ms)": "e2e_latency_ms",
    "end-to-end ips": "e2e_ips",
    "on-chip latency (ms)": "onchip_latency_ms",
    "on-chip ips": "onchip_ips",
}
DEFAULT_COLUMNS = ("metric", "e2e_latency_ms", "e2e_ips", "onchip_latency_ms", "onchip_ips")
_VALUE = re.compile(rf"^\s*(?P<v>{NUMBER})\s*%?\s*$")


def _key(column: str) -> str:
    col = column.strip().lower()
    return COLUMN_KEYS.get(col) or re.sub(r"[^a-z0-9]+", "_", col).strip("_")


def _cells(text: str) -> list[str]:
    """The complete cells of a table row (a row cut mid-way keeps only its finished cells)."""
    start = text.find("|")
    end = text.rfind("|")
    if start < 0 or end <= start:
        return []
    return [c.strip() for c in text[start + 1:end].split("|")]


class GroqParser(Parser):
    name = "groq"
    keywords = ('|', 'Proof point', 'Woohoo! Saved to')

    def __init__(self) -> None:
        super().__init__()
        self.columns: tuple[str, ...] = DEFAULT_COLUMNS

    def line(self, text: str) -> bool:
        if "|" in text:
            cells = _cells(text)
            if not cells:
                return False
            if cells[0].lower() == "source":
                self.columns = tuple(_key(c) for c in cells[1:])
                return True
            if cells[0].lower() == "groq":
                return self._row(cells[1:])
            if cells[0].lower() == "cpu":
                return self._row(cells[1:], prefix="cpu_")
            return False
        if "Proof point" in text and "finished!" in text:
            self.event("completed")
            return True
        if text.startswith("Woohoo! Saved to"):
            self.event("built")
            return True
        return False

    def _row(self, cells: list[str], prefix: str = "") -> bool:
        found = False
        for key, cell in zip(self.columns, cells):
            m = _VALUE.match(cell)  # `--` (no on-chip figure for the cpu row) is skipped
            if m:
                self.set(prefix + key, float(m.group("v")))
                found = True
        return found
