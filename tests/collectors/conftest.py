"""Collector tests share the small real homes of tests/envhelpers.py."""
from __future__ import annotations

from pathlib import Path

import pytest
from envhelpers import Node


@pytest.fixture
def node(tmp_path: Path) -> Node:
    return Node(tmp_path / "node")
