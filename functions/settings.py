"""Per-function configuration: one pydantic model per function, read from the environment on first use."""

from __future__ import annotations

import os
from typing import TypeVar

from pydantic import BaseModel, ValidationError

SettingsT = TypeVar("SettingsT", bound=BaseModel)


class SettingsError(RuntimeError):
    """The function's environment is missing or has a wrong variable; names the variable."""


def load_settings(model: type[SettingsT]) -> SettingsT:
    """Reads `model`'s fields from upper-case environment variables of the same name; an empty one is unset."""
    values = {name: os.environ[name.upper()] for name in model.model_fields if os.environ.get(name.upper())}
    try:
        return model.model_validate(values)
    except ValidationError as error:
        problems = "; ".join(f"{str(e['loc'][0]).upper()}: {e['msg']}" for e in error.errors())
        raise SettingsError(f"{model.__name__}: {problems}") from None
