"""Hypothesis strategies for hostile input: arbitrary JSON, wrong types, huge strings, odd unicode, deep nesting, and
valid documents with one thing broken (a field removed, replaced by junk, or left empty).

The mutations start from the valid samples every other test uses (tests/samples), so most examples get past the
first checks and reach the deeper parsing, where the interesting failures are.
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

from hypothesis import strategies as st

JSON = Any
Path = tuple[str | int, ...]

# Strings parsers trip on: NUL, bidi override, BOM, astral plane, combining marks, lone surrogates (which JSON may
# carry as `\ud800` escapes and UTF-8 cannot encode), and a string that only looks like a number.
ODD_STRINGS = ["", " ", "\x00", "\u202e", "\ufeff", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "e\u0301", "\ud800", "x\udfffy", "1e309", "null"]

# Over EventBridge's 256 KiB and API Gateway's payloads, and over every max_length of the contracts.
HUGE_STRINGS = st.sampled_from([300_000, 70_000, 4_097, 2_049, 257, 129]).map(lambda n: "é" * n)


def text() -> st.SearchStrategy[str]:
    """Any short text, odd strings and (rarely) huge ones."""
    return st.one_of(st.text(max_size=20), st.sampled_from(ODD_STRINGS), HUGE_STRINGS)


def scalars() -> st.SearchStrategy[JSON]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        text(),
    )


def json_values(max_leaves: int = 12) -> st.SearchStrategy[JSON]:
    """Arbitrary JSON documents."""
    return st.recursive(
        scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
        ),
        max_leaves=max_leaves,
    )


def nest(depth: int, use_dict: bool) -> JSON:
    """A string inside `depth` one-element lists, or one-key objects. The outermost one prints as `nest(...)`, so
    that Hypothesis, which prints every explicit example, does not recurse into it."""
    value: JSON = "bottom"
    for _ in range(depth - 1):
        value = {"a": value} if use_dict else [value]
    return _NestedDict(a=value) if use_dict else _NestedList([value])


class _NestedList(list):  # type: ignore[type-arg]
    def __repr__(self) -> str:
        return f"nest({_depth(self)}, False)"


class _NestedDict(dict):  # type: ignore[type-arg]
    def __repr__(self) -> str:
        return f"nest({_depth(self)}, True)"


def _depth(value: JSON) -> int:
    depth = 0
    while isinstance(value, (list, dict)) and value:
        value = value[0] if isinstance(value, list) else next(iter(value.values()))
        depth += 1
    return depth


def deep_nesting() -> st.SearchStrategy[JSON]:
    """Lists or objects nested deeper than any parser's recursion limit, or just under it."""

    return st.builds(nest, st.sampled_from([50, 900, 1_100, 3_000]), st.booleans())


def junk() -> st.SearchStrategy[JSON]:
    """What replaces a field: any JSON, a wrong type, an odd or huge string, deep nesting."""
    return st.one_of(json_values(6), deep_nesting())


def paths(document: JSON, prefix: Path = ()) -> list[Path]:
    """Every path into `document` (keys and list indexes), the root's children first."""
    found: list[Path] = []
    children: list[tuple[str | int, JSON]] = []
    if isinstance(document, dict):
        children = list(document.items())
    elif isinstance(document, list):
        children = list(enumerate(document))
    for key, child in children:
        found.append((*prefix, key))
        found += paths(child, (*prefix, key))
    return found


@st.composite
def mutated(draw: st.DrawFn, document: JSON, max_mutations: int = 2) -> JSON:
    """`document` with one or two things broken: a field removed, emptied or replaced by junk; or an extra field.

    Paths are those of the (small, valid) `document`, so no walk ever goes down the junk put in."""
    result = copy.deepcopy(document)
    candidates = paths(document)
    objects = [(), *[p for p in candidates if isinstance(_find(document, p), dict)]]
    for _ in range(draw(st.integers(min_value=1, max_value=max_mutations))):
        action = draw(st.sampled_from(["remove", "empty", "replace", "replace", "extra"]))
        if action == "extra" or not candidates:
            container = _find(result, draw(st.sampled_from(objects)))
            if isinstance(container, dict):
                container[draw(st.text(max_size=12))] = draw(junk())
            continue
        path = draw(st.sampled_from(candidates))
        parent, last = _find(result, path[:-1]), path[-1]
        if not _holds(parent, last):
            continue  # an earlier mutation removed or replaced it
        if action == "remove":
            del parent[last]
        elif action == "empty":
            parent[last] = type(parent[last])() if isinstance(parent[last], (dict, list, str)) else None
        else:
            parent[last] = draw(junk())
    return result


def _holds(container: JSON, key: str | int) -> bool:
    if isinstance(container, dict):
        return key in container
    return isinstance(container, list) and isinstance(key, int) and key < len(container)


def _find(document: JSON, path: Path) -> JSON:
    """What is at `path`, or None when the path no longer leads anywhere."""
    for key in path:
        if not _holds(document, key):
            return None
        document = document[key]
    return document


def body_text(document: JSON) -> str:
    """A JSON document as a request body, deep nesting included (json.dumps' recursion guard given room for it)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        return json.dumps(document)
    finally:
        sys.setrecursionlimit(limit)
