"""JSONPath values as Step Functions gives them: a *definite* path (no filter `[?(...)]`, wildcard `*`, slice `[a:b]`,
union `[a,b]` or deep scan `..`) gives one value, an indefinite one a list, as the Jayway JSONPath that Step Functions
runs does ("Paths" in https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html: a
reference path "can identify only a single node"). moto answered a list for any path through an array index:
`"$[0].n"` after a Parallel gave `[1]`, not `1`. Found by `orch local conformance` (the ResultSelector case).

moto's modules import `extract_json` by name, so the seam replaces that name in each of them (and at its origin).

Each path text is parsed once (`parsed`, `parsed_for_update`): jsonpath_ng builds a new PLY parser for every parse, a
few milliseconds each, and moto parsed at every evaluation, ResultPath included (seam RESULT_PATH_PARSED_ONCE). A
parsed path keeps no state between finds and updates, so threads share it."""

from __future__ import annotations

import functools
import re
from typing import Any, Final

from jsonpath_ng.ext.parser import parse  # the extended parser moto uses (filters)
from jsonpath_ng.parser import parse as parse_plain  # the plain parser moto's ResultPath uses
from moto.stepfunctions.parser.asl.utils import json_path as moto_json_path

from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared

# Jayway's indefinite parts: a deep scan, a filter, a wildcard, a slice or a union inside brackets.
_INDEFINITE: Final = re.compile(r"\.\.|\[\s*\?|\*|\[[^\]]*[:,][^\]]*\]")


parsed = functools.lru_cache(maxsize=1024)(parse)
# ResultPath's parser in moto is jsonpath_ng's plain one (no filters), kept as it is.
parsed_for_update = functools.lru_cache(maxsize=1024)(parse_plain)


def is_definite(path: str) -> bool:
    """Whether a JSONPath names at most one node (Jayway's rule)."""
    return not _INDEFINITE.search(path)


def bind_json_paths(seam_set: SeamSet) -> None:
    moto_extract = (
        moto_json_path.extract_json
    )  # moto's own, taken before the seams replace it (its origin is one of them)

    def extract_json(path: str, data: Any) -> Any:
        matches = parsed(path).find(data)
        if not matches:
            # An indefinite path that matches nothing is an empty list; a definite one is moto's NoSuchJsonPathError.
            return moto_extract(path, data) if is_definite(path) else []
        if is_definite(path):
            return matches[0].value
        return [match.value for match in matches]

    for seam in declared.JSONPATH_DEFINITE_PATHS:
        seam_set.replace(seam, extract_json)
    seam_set.replace(declared.RESULT_PATH_PARSED_ONCE, parsed_for_update)
