"""Reading a request's JSON body, once for every HTTP handler (ingest, the control API): the text decoded, parsed,
and every value no event or service call can carry refused by name (functions/producer/limits.py `unsendable`).

`json.loads` alone is not enough for input from outside: an integer of more than 4,300 digits raises ValueError
inside it (Python's int-string conversion limit), `NaN`, `Infinity` and `-Infinity` are read as floats that JSON
cannot write back (the bus would carry null), `1e999` is read as infinity, and a document nested about a thousand
deep raises RecursionError. Each is a `BodyError` here, whose `problem` names the field.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from functions.producer.limits import MAX_INT_DIGITS, BadNumber, unsendable
from schemas.validation import FieldError

ROOT = ""  # the field of a problem with the body as a whole


class BodyError(ValueError):
    """The body cannot be read as a request: `problem.field` is where (ROOT: the whole body), `problem.reason` what."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.problem = FieldError("", field, reason)


def body_text(body: str | None, base64_encoded: bool) -> str | None:
    """The body as API Gateway passes it, as text (base64 decoded when it says so); BodyError when it is not UTF-8."""
    if not base64_encoded or not body:
        return body
    try:
        return base64.b64decode(body.encode("ascii"), validate=True).decode("utf-8")
    except (UnicodeError, binascii.Error):
        raise BodyError(ROOT, "the body is not UTF-8 text (JSON is)") from None


def read_json(text: str) -> Any:
    """`text` parsed as JSON; BodyError naming the field for anything an event or a service call cannot carry."""
    try:
        value = json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as error:
        where = f"at line {error.lineno} column {error.colno}"
        raise BodyError(ROOT, f"not valid JSON: {error.msg} {where}") from None
    except RecursionError:
        # Nested about a thousand deep: more than the parser's recursion limit, and than any request.
        raise BodyError(ROOT, "not valid JSON: it nests arrays or objects too deeply") from None
    problem = unsendable(value)  # too deep, a lone surrogate, NaN or an infinity, an integer too long
    if problem is not None:
        raise BodyError(problem.field, problem.reason)
    return value


def _integer(digits: str) -> int | BadNumber:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        return BadNumber(f"an integer of {len(digits.lstrip('-'))} digits; at most {MAX_INT_DIGITS}")
    return int(digits)
