"""Collector tests share the small real homes of tests/checks/envhelpers.py."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "checks"))

from envhelpers import Node  # noqa: E402


@pytest.fixture
def node(tmp_path: Path) -> Node:
    return Node(tmp_path / "node")
