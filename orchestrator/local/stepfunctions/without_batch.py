"""moto's Step Functions interpreter imported without moto's Batch and EC2 backends.

The interpreter's Batch integration (moto 5.2.5, `...state_task.service.state_task_service_batch`) imports one enum,
`moto.batch.utils.JobStatus`. Importing a submodule runs its package first, and `moto/batch/__init__.py` loads the
Batch backend, which loads EC2's: `ec2/models/availability_zones_and_regions.py` lists regions through new boto3
sessions, parsing EC2's service model, and `instance_types.py` parses the instance-type catalogue: 1.4 s of imports
(`-X importtime`, a slow 2-core machine), for services the app never calls. Without them the process's first local
cloud started in 2.86 s instead of 3.77 s there (medians, interleaved runs; bench/local_runtime.py's cold start).

`import_batch_utils_alone()` loads `moto.batch.exceptions` and then `moto.batch.utils` (which imports it) from the
package's folder, each registered in `sys.modules` as the import system would, without running the package: no
module stands in for `moto.batch` at any moment, so no other thread can find a half-made one. The interpreter's
import then finds its enum already loaded (an import looks its full name up in `sys.modules` before any parent). A
later `import moto.batch` (a state machine that does call Batch: moto's backend index imports it on the first
request) runs the package as usual, and its `from .utils import ...` finds the same module, so there is one
`JobStatus`. (The real package then lacks `utils` and `exceptions` as attributes, which only `import moto.batch.utils`
followed by `moto.batch.utils.name` would notice; moto imports them by `from ... import`.)

LocalCloud calls it first thing in its start (orchestrator/local/cloud.py), before any adapter resolves a seam in the
interpreter; tests/integration/test_without_batch.py checks that a start loads neither Batch nor EC2.

Why not a seam (orchestrator/local/seams): a seam changes an attribute of moto that exists; this changes only the
order in which moto's modules are imported, and nothing moto runs is replaced.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import threading

_PACKAGE = "moto.batch"
_IN_ORDER = ("exceptions", "utils")  # utils imports exceptions
_lock = threading.Lock()


def import_batch_utils_alone() -> None:
    """`moto.batch.utils` loaded without running `moto.batch` (idempotent; nothing if either is loaded already)."""
    with _lock:
        if _PACKAGE in sys.modules or f"{_PACKAGE}.utils" in sys.modules:
            return
        package = importlib.util.find_spec(_PACKAGE)  # imports `moto` only, not the package itself
        folder = package.submodule_search_locations  # type: ignore[union-attr]  # moto 5.2.5 has the package
        for submodule in _IN_ORDER:
            name = f"{_PACKAGE}.{submodule}"
            spec = importlib.machinery.PathFinder.find_spec(name, folder)
            module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)  # type: ignore[union-attr]
            except BaseException:
                del sys.modules[name]
                raise
