"""envdoctor.facts: typed facts load back from their JSON form, and say which field does not fit."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

import pytest

from envdoctor.facts import Facts, FactsError


@dataclass(frozen=True)
class Row(Facts):
    name: str
    size_gb: float
    over: bool = False


@dataclass(frozen=True)
class Sample(Facts):
    home: str
    rows: Tuple[Row, ...] = ()
    env: Dict[str, str] = field(default_factory=dict)
    quota: Optional[Row] = None
    pair: Tuple[str, int] = ("", 0)
    count: int = 0


def test_round_trip_through_json_text_gives_equal_objects() -> None:
    sample = Sample("/home/ada", (Row("/home", 2.5, True), Row("/scratch", 10.0)), {"PATH": "/usr/bin"},
                    Row("/q", 1.0), ("numpy", 3), 7)
    again = Sample.from_json(json.loads(json.dumps(sample.to_json())))
    assert again == sample
    assert isinstance(again.rows, tuple) and isinstance(again.rows[0], Row)


def test_defaults_fill_absent_fields_and_json_ints_become_floats() -> None:
    loaded = Sample.from_json({"home": "/h", "rows": [{"name": "/", "size_gb": 2}]})
    assert loaded.rows[0].size_gb == 2.0 and isinstance(loaded.rows[0].size_gb, float)
    assert loaded.quota is None and loaded.env == {} and loaded.count == 0


@pytest.mark.parametrize("data, where", [
    ({"rows": []}, "Sample.home: missing"),
    ({"home": 3}, "Sample.home: expected str"),
    ({"home": "/h", "rows": [{"name": "/", "size_gb": "big"}]}, "Sample.rows[0].size_gb: expected float"),
    ({"home": "/h", "count": True}, "Sample.count: expected int"),
    ({"home": "/h", "pair": ["a"]}, "Sample.pair: expected 2 items"),
    ({"home": "/h", "env": []}, "Sample.env: expected an object"),
])
def test_a_field_that_does_not_fit_is_named(data: dict, where: str) -> None:
    with pytest.raises(FactsError) as err:
        Sample.from_json(data)
    assert where in str(err.value)
