"""Step Functions' own JSONata functions, as jsonata-python functions (registered by orchestrator/local/jsonata_engine).

"Transforming data with JSONata in Step Functions", JSONata functions provided by Step Functions
(https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html): `$partition`, `$range`, `$hash`,
`$random`, `$uuid` and `$parse`. jsonata-python has none but `$random`, without the seed; moto declares JSONata
stand-ins for them, of which `$range` is right and is kept, the others are replaced here:

- `$uuid()`, `$parse(json)` and `$hash(value, algorithm)`: moto's answer "Function ... is currently not supported"
  (`$parse` evaluates its argument as JSONata);
- `$partition(array, chunkSize)`: chunks of `chunkSize` items, the last one holding what is left, as
  States.ArrayPartition does (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html); the
  chunk size a non-zero positive integer. moto's makes an empty chunk too many when the array leaves two or more
  items over (`[1..10]` by 4 gives `[..., [9, 10], []]`) and answers null for a chunk size of 0;
- `$random([seed])`: a number from 0 (included) to 1 (excluded), the same one for the same integer seed. The seeded
  numbers are Python's (`random.Random(seed)`), not AWS's: what a workflow may rely on is that a seed repeats.

An argument of the wrong type raises: `evaluate` turns it into States.QueryEvaluationError.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import Callable
from typing import Any, Final

# Step Functions' `$hash` algorithms, by the names its documentation gives, as hashlib names them.
_HASH_ALGORITHMS: Final[dict[str, str]] = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def integer_value(value: Any) -> int | None:
    """`value` as an integer when it is a number without a fraction (`4 / 2` is one), else None (a bool is none)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value)


def _uuid() -> str:
    """`$uuid()`: a random version 4 UUID."""
    return str(uuid.uuid4())


def _parse(text: Any) -> Any:
    """`$parse(json)`: the value a JSON string holds."""
    if not isinstance(text, str):
        raise TypeError(f"$parse takes a JSON string, not {type(text).__name__}")
    return json.loads(text)


def _hash(value: Any, algorithm: Any) -> str:
    """`$hash(value, algorithm)`: the hex digest of a string with MD5, SHA-1, SHA-256, SHA-384 or SHA-512."""
    if not isinstance(value, str):
        raise TypeError(f"$hash takes a string to hash, not {type(value).__name__}")
    if algorithm not in _HASH_ALGORITHMS:
        raise ValueError(f"$hash algorithm must be one of {', '.join(_HASH_ALGORITHMS)}, not {algorithm!r}")
    return hashlib.new(_HASH_ALGORITHMS[algorithm], value.encode("utf-8")).hexdigest()


def _partition(array: Any, chunk_size: Any) -> list[list[Any]]:
    """`$partition(array, chunkSize)`: `array` in chunks of `chunkSize` items, the last one holding what is left."""
    if not isinstance(array, list):
        raise TypeError(f"$partition takes an array to partition, not {type(array).__name__}")
    size = integer_value(chunk_size)
    if size is None or size < 1:
        raise ValueError(f"$partition takes a non-zero positive integer chunk size, not {json.dumps(chunk_size)}")
    return [list(array[start : start + size]) for start in range(0, len(array), size)]


def _random(seed: Any = None) -> float:
    """`$random([seed])`: a number from 0 (included) to 1 (excluded); the same one for the same integer seed."""
    if seed is None:  # no seed, or an undefined one
        return random.random()
    number = integer_value(seed)
    if number is None:
        raise TypeError(f"$random takes an integer seed, not {json.dumps(seed)}")
    return random.Random(number).random()


# JSONata functions of Step Functions that jsonata-python does not have (or not as Step Functions defines them), by
# name without the `$`.
STEP_FUNCTIONS_FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "uuid": _uuid,
    "parse": _parse,
    "hash": _hash,
    "partition": _partition,
    "random": _random,
}
