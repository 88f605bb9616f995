"""Bad input that `json.dumps` cannot write, put into otherwise valid request bodies as raw JSON text: the literals
`json.loads` reads into values no event can carry (NaN, the infinities, 1e999 read as infinity), integers past
Python's int-string conversion limit (4,300 digits: ValueError inside `json.loads`), and where each went, so that a
fuzzer can check the answer names that field.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.strategies import Path, paths

_MARK = "\u0000literal\u0000"

# The classes, each with what the field's reason must say.
NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" + "0" * 400 + ".5"]
HUGE_INTEGERS = st.integers(min_value=4_301, max_value=6_000).map(lambda n: "9" * n) | st.just("-" + "1" * 4_301)
LITERALS = st.one_of(st.sampled_from(NON_FINITE), HUGE_INTEGERS)


def expected_reason(literal: str) -> str:
    return "integer of" if literal.lstrip("-").isdigit() else "not a finite number"


def field_of(path: Path, prefix: str = "") -> str:
    """`("events", 0, "data", "x")` -> `events[0].data.x` (schemas.validation.field_path's way)."""
    text = prefix
    for part in path:
        text = f"{text}[{part}]" if isinstance(part, int) else (f"{text}.{part}" if text else str(part))
    return text


@st.composite
def with_literal(draw: st.DrawFn, document: Any) -> tuple[str, str, str]:
    """`document` as JSON text with one value replaced by a bad literal: (body, field, literal)."""
    candidates = [p for p in paths(document) if p]
    path = draw(st.sampled_from(candidates))
    literal = draw(LITERALS)
    changed = copy.deepcopy(document)
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = _MARK
    body = json.dumps(changed).replace(json.dumps(_MARK), literal)
    return body, field_of(path), literal


def binary_bodies() -> st.SearchStrategy[str]:
    """What API Gateway passes base64-encoded: random bytes (rarely UTF-8), or text that is not base64 at all."""
    return st.one_of(
        st.binary(min_size=1, max_size=64).map(lambda raw: base64.b64encode(raw).decode()),
        st.text(min_size=1, max_size=20),
    )
