"""IAM's wildcard patterns and policy variables: what an action, a resource or an ARN matches in a policy.

Part of the policy evaluator (evaluation.py), after the IAM User Guide's "IAM JSON policy elements" pages on Action,
Resource and the Arn condition operators, and its "IAM policy elements: Variables and tags" page:
- Action matching case-insensitive, Resource matching case-sensitive, both with the `*` and `?` wildcards (`*` any
  run of characters, colons included, `?` one character; every other character stands for itself: no regex).
- ARN patterns (ArnEquals, ArnLike): each of the six colon-separated parts matched on its own.
- Policy variables: `${aws:username}`, defaults `${key, 'default'}`, and the escapes `${*}`, `${?}`, `${$}`. A
  variable's value and the escapes are literal text, never wildcards. A variable the request context has no single
  value for (absent, or a multivalued key) takes its default; without one the pattern matches nothing.

Where variables apply is the callers' business: evaluation.py substitutes them in Resource and NotResource, and
conditions.py in String, Bool and Arn condition values, in "2012-10-17" documents only (`Variables` is None in the
others). Patterns are compiled once (lru_cache): the same policies are evaluated for every call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Final, NamedTuple

__all__ = [
    "Context",
    "Variables",
    "action_matches",
    "arn_matches",
    "resource_matches",
    "substituted",
    "wildcard_matches",
]

# The request context with its keys lower-cased (keys compare case-insensitively): the values of condition keys,
# and so of policy variables. Variables is None where variables are off (a "2008-10-17" document).
Context = Mapping[str, tuple[str, ...]]
Variables = Context | None

# A pattern after variable substitution: (wildcards apply, text) runs. Policy text keeps its wildcards; a variable's
# value and the escapes ${*}, ${?}, ${$} are literal text.
_Segments = tuple[tuple[bool, str], ...]
_VARIABLE: Final = re.compile(r"\$\{([^}]*)\}")
_VARIABLE_BODY: Final = re.compile(r"\s*([^\s,']+)\s*(?:,\s*'([^']*)'\s*)?")
_WILDCARDS: Final = re.compile(r"([*?])")


def action_matches(pattern: str, action: str) -> bool:
    """Case-insensitive, `*` and `?` anywhere (actions take no policy variables)."""
    return pattern == "*" or _compiled(((True, pattern),), ignore_case=True).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str, variables: Variables) -> bool:
    """Case-sensitive, `*` and `?` anywhere in the ARN (they may span colons in Resource). The request resource "*"
    (an action without resource-level permissions) is matched by the statement Resource "*" only."""
    if pattern == "*":
        return True
    if resource == "*":
        return False
    return wildcard_matches(pattern, resource, variables)


def wildcard_matches(pattern: str, text: str, variables: Variables) -> bool:
    """The pattern, its variables substituted, matches all of `text`, case-sensitively (Resource, StringLike)."""
    segments = _expand(pattern, variables)
    return segments is not None and _compiled(segments, ignore_case=False).fullmatch(text) is not None


def substituted(text: str, variables: Variables) -> str | None:
    """`text` with its variables substituted, its wildcards plain characters (StringEquals, Bool); None when a
    variable has no value."""
    segments = _expand(text, variables)
    return None if segments is None else "".join(part for _, part in segments)


def arn_matches(policy: str, value: str, variables: Variables) -> bool:
    """ArnEquals and ArnLike alike (AWS documents them together): each of the six colon-separated parts matched on
    its own, case-sensitively, with `*` and `?`; the last part keeps any further colons. Fewer parts: no match."""
    segments = _expand(policy, variables)
    value_parts = value.split(":", 5)
    if segments is None or len(value_parts) < 6:
        return False
    policy_parts = _arn_pattern_parts(segments)
    return policy_parts is not None and all(
        _compiled(part, ignore_case=False).fullmatch(text) is not None
        for part, text in zip(policy_parts, value_parts, strict=True)
    )


@lru_cache(maxsize=1024)
def _arn_pattern_parts(segments: _Segments) -> tuple[_Segments, ...] | None:
    """The segments split at the first five colons (the ARN's parts after substitution), or None if fewer."""
    parts: list[_Segments] = []
    current: list[tuple[bool, str]] = []
    for wildcards, text in segments:
        pieces = text.split(":", 5 - len(parts)) if len(parts) < 5 else [text]
        for i, piece in enumerate(pieces):
            if i > 0:
                parts.append(tuple(current))
                current = []
            current.append((wildcards, piece))
    parts.append(tuple(current))
    return tuple(parts) if len(parts) == 6 else None


# -- Policy variables --------------------------------------------------------------------------------------------


class _Piece(NamedTuple):
    kind: str  # "text" (policy text), "literal" (an escape), "variable" (text is the key)
    text: str
    default: str | None = None


@lru_cache(maxsize=4096)
def _template(text: str) -> tuple[_Piece, ...]:
    """`text` split into policy text, escapes and variables (`${key}`, `${key, 'default'}`)."""
    pieces: list[_Piece] = []
    position = 0
    for match in _VARIABLE.finditer(text):
        if match.start() > position:
            pieces.append(_Piece("text", text[position : match.start()]))
        body = match.group(1)
        variable = _VARIABLE_BODY.fullmatch(body)
        if body in ("*", "?", "$"):
            pieces.append(_Piece("literal", body))
        elif variable is not None:
            pieces.append(_Piece("variable", variable.group(1), variable.group(2)))
        else:  # not a variable (e.g. "${}"): kept as the policy wrote it
            pieces.append(_Piece("text", match.group(0)))
        position = match.end()
    if position < len(text):
        pieces.append(_Piece("text", text[position:]))
    return tuple(pieces)


def _expand(text: str, variables: Variables) -> _Segments | None:
    """`text` with its policy variables substituted; None when a variable has no value (and no default): the
    pattern then matches nothing. A multivalued key is no variable (AWS), so it takes the default too."""
    if variables is None or "${" not in text:
        return ((True, text),)
    segments: list[tuple[bool, str]] = []
    for piece in _template(text):
        if piece.kind == "variable":
            values = variables.get(piece.text.lower(), ())
            value = values[0] if len(values) == 1 else piece.default
            if value is None:
                return None
            segments.append((False, value))
        else:
            segments.append((piece.kind == "text", piece.text))
    return tuple(segments)


# -- Wildcards ---------------------------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _compiled(segments: _Segments, *, ignore_case: bool) -> re.Pattern[str]:
    """The anchored-by-fullmatch regex of a wildcard pattern: `*` any run, `?` one character, all else escaped."""
    parts: list[str] = []
    for wildcards, text in segments:
        if not wildcards:
            parts.append(re.escape(text))
            continue
        for token in _WILDCARDS.split(text):
            parts.append(".*" if token == "*" else "." if token == "?" else re.escape(token))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))
