"""moto's per-request work on what does not change while the runtime runs, done once.

moto answers each call by
- listing its response class's methods (`method_names_from_class`: `inspect.getmembers` over the class,
  moto/core/responses.py:451) to see whether the action is one of them;
- building its backend's URL map again (`BaseBackend.urls`, moto/core/base_backend.py:63; the stubber's own comment
  says "TODO: cache this part");
and DynamoDB's lexes each condition expression into tokens at every conditional write, twice (the response checks
it, the table applies it). Together about 10 % of the local runtime's CPU in the soak. A backend's URLs and an
expression's tokens depend on nothing that changes during a run, and a class's methods change only when a seam adds
one (listed again then: the count of the class's attributes is kept with them), so each is computed once (seams
MOTO_ACTION_NAMES, MOTO_BACKEND_URLS, DYNAMODB_CONDITION_TOKENS). The tokens are immutable named tuples; moto's
parser consumes the deque they come in, so each parse gets a fresh deque of them.

Once per process, not per request: moto reads each service's model, the first time it answers that service, through
a new loader of its own (`moto.core.utils.create_loader`), which lists botocore's data directory again (~450
services; 55 ms each on a slow 2-core machine, six times in a process's first local cloud). One loader serves them
all (seam MOTO_SERVICE_LOADER), as one does botocore's (orchestrator/local/runtime.py `shared_loader`): moto already
keeps each model it reads for the process (`get_service_model` and `get_pagination_model` are cached), so sharing
the loader only saves the listings; the one change moto makes to a model (a pagination default, the same for every
reader) was already shared.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable
from typing import Any

from orchestrator.local.seams import SeamAdapter, SeamSet
from orchestrator.local.seams import services as declared

_EXPRESSIONS_KEPT = 1024
_URLS_KEPT = "_orch_urls_computed_once"


class ComputedOnce(SeamAdapter):
    """Applies the four caches; `uninstall()` restores moto's own code (both idempotent)."""

    def _seam_set(self) -> SeamSet:
        seam_set = SeamSet("ComputedOnce")
        seam_set.wrap(declared.MOTO_ACTION_NAMES, _methods_once_per_class)
        from moto.core.base_backend import BaseBackend

        # A property: replaced by one reading moto's own once per backend (a property cannot be wrapped as a call).
        seam_set.replace(declared.MOTO_BACKEND_URLS, _urls_once_per_backend(vars(BaseBackend)["urls"]))
        seam_set.wrap(declared.DYNAMODB_CONDITION_TOKENS, _tokens_once_per_expression)
        seam_set.replace(declared.MOTO_SERVICE_LOADER, _moto_loader)
        return seam_set


def _methods_once_per_class(original: Callable[[Any], list[str]]) -> Callable[[Any], frozenset[str]]:
    # Kept with the number of attributes of the class and its bases when listed: a seam that adds a method to a
    # response class (the Step Functions adapter adds RedriveExecution) changes it, and the class is listed again.
    listed: dict[type, tuple[int, frozenset[str]]] = {}

    def method_names_from_class(clazz: Any) -> frozenset[str]:
        stamp = sum(len(vars(base)) for base in clazz.__mro__)
        kept = listed.get(clazz)
        if kept is None or kept[0] != stamp:
            kept = listed[clazz] = (stamp, frozenset(original(clazz)))  # moto only asks `action in method_names`
        return kept[1]

    return method_names_from_class


def _urls_once_per_backend(original: property) -> property:
    def urls(backend: Any) -> dict[str, Any]:
        # Kept on the backend itself: a new cloud's backends compute their own, and nothing outlives its backend.
        kept: dict[str, Any] | None = backend.__dict__.get(_URLS_KEPT)
        if kept is None:
            kept = backend.__dict__[_URLS_KEPT] = original.fget(backend)  # type: ignore[misc]
        return kept

    return property(urls)


def _tokens_once_per_expression(original: Callable[[Any], deque[Any]]) -> Callable[[Any], deque[Any]]:
    # Lexed by moto's own code, the first time with the parser that asks; bounded (a caller may write expressions
    # without end: the app does not). Nothing after the lexer changes a token (no `children` list is appended to:
    # moto/dynamodb/comparisons.py builds new nodes), so a token may be shared between parses.
    found: dict[tuple[type, str], tuple[Any, ...]] = {}

    def _lex_condition_expression(parser: Any) -> deque[Any]:
        key = (type(parser), parser.condition_expression)
        tokens = found.get(key)
        if tokens is None:
            tokens = tuple(original(parser))
            if len(found) >= _EXPRESSIONS_KEPT:
                found.clear()
            found[key] = tokens
        return deque(tokens)

    return _lex_condition_expression


@functools.cache
def _moto_loader() -> Any:
    # For the process, like moto's own cache of the models it reads (`get_service_model`, moto/core/utils.py).
    from moto.core.loaders import create_loader

    return create_loader()
