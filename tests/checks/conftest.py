"""Fixtures for check tests (helpers live in envhelpers.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from envhelpers import Node


@pytest.fixture
def node(tmp_path: Path) -> Node:
    return Node(tmp_path / "node")
