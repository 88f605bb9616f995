"""An error that fails a Parallel branch or a Map iteration keeps its `States.*` name in the state it fails.

https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html: a Parallel or Map state fails with
the error its branch or iteration failed with, and its Retry and Catch match that name (`States.NoChoiceMatched`,
`States.Timeout`, `States.TaskFailed`...). moto 5.2.5 names that error with `CustomErrorName` (`branches_decl.py`,
`iteration_worker.py`), which refuses any name starting with `States.`: the ValueError it raises fails the whole
execution with `States.Runtime`, past every Catch. Those two modules now name a `States.*` error with moto's own
`StatesErrorName` (the seams, module globals, are declared in orchestrator/local/seams/services.py).
"""

from __future__ import annotations

from typing import Any, Final

from orchestrator.local import seams
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared

_ERRORS: Final[str] = "moto.stepfunctions.parser.asl.component.common.error_name"


def bind_branch_errors(seam_set: SeamSet) -> None:
    """Binds the error naming of failed branches and iterations into `seam_set`."""
    custom_error_name = seams.read(f"{_ERRORS}.custom_error_name.CustomErrorName")
    states_error_name = seams.read(f"{_ERRORS}.states_error_name.StatesErrorName")
    states_error_name_type = seams.read(f"{_ERRORS}.states_error_name_type.StatesErrorNameType")

    def error_name(error_name: str | None = None) -> Any:
        try:
            return states_error_name(typ=states_error_name_type.from_name(error_name))
        except ValueError:  # not one of the States.* errors: a custom one, as moto names it
            return custom_error_name(error_name=error_name)

    for seam in declared.BRANCH_ERROR_NAMES:
        seam_set.replace(seam, error_name)
