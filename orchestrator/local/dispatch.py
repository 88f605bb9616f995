"""moto's request dispatch without its per-request reflection.

moto answers every call by listing its response class's methods (`method_names_from_class`: `inspect.getmembers` over
the class, moto/core/responses.py:451) to see whether the action is one of them: about 3 % of the local runtime's CPU
in the soak. A class's methods do not change while the runtime runs, so the list is computed once per class
(seam MOTO_ACTION_NAMES).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from orchestrator.local.seams import SeamAdapter, SeamSet
from orchestrator.local.seams import services as declared


class MotoDispatch(SeamAdapter):
    """Lists each response class's methods once; `uninstall()` restores moto's listing (both idempotent)."""

    def _seam_set(self) -> SeamSet:
        seam_set = SeamSet("MotoDispatch")
        seam_set.wrap(declared.MOTO_ACTION_NAMES, _once_per_class)
        return seam_set


def _once_per_class(original: Callable[[Any], list[str]]) -> Callable[[Any], frozenset[str]]:
    @functools.cache
    def method_names_from_class(clazz: Any) -> frozenset[str]:
        return frozenset(original(clazz))  # moto only asks `action in method_names`

    return method_names_from_class
