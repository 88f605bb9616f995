"""Each state machine definition parsed once per process: moto 5.2.5 parses the definition with ANTLR when the state
machine is created (`_validate_definition`, which keeps nothing) and again for every execution
(`ExecutionWorker._get_evaluation_entrypoint`), about 160 ms of CPU for the order saga each time, though the program
it builds depends on neither. One cache, kept for the process, serves both: a test session that starts a local cloud
per test parses each of the app's definitions once in all. The programs are also kept on disk between processes
(the user's cache folder, keyed by definition, moto and Python versions), so a process's first local cloud does not
parse the app's definitions again (about 0.8 s of a cold start).

Reusing one parsed program across executions is safe because moto's components keep no execution state: every
attribute is set when the program is built (`from_state_props`), and what changes while it runs lives in the
`Environment` of each execution (the stack, the heap, the states' data) or in objects made per run (a Map Run, its
workers). moto already relies on that within one execution, whose Map iterations and Parallel branches evaluate the
same components concurrently. The one lazy attribute, `EvalComponent.heap_key` (a retrier's attempt counter is kept
in the heap under it), is set before the program is shared, so two executions never race to pick it.

Parsing itself is made safe to run on several threads (`PARSER_SCOPES_PER_PARSE`): moto's `Preprocessor` keeps the
stack of QueryLanguage scopes it is inside on a class attribute, one list for every parse of the process. Two
definitions parsed at once (CreateStateMachine on one thread while an execution parses on another) push onto each
other's scopes, and a definition refused half-way never pops its own: a JSONPath definition parsed after either
inherits JSONata and is refused with "Unsupported declaration in QueryLanguage=JSONPath block". Each preprocessor
gets a list of its own.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

import moto
from moto.core.exceptions import JsonRESTError

from orchestrator.local import seams
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import stepfunctions as declared
from orchestrator.local.stepfunctions import grammar_gaps, intrinsic_strings, map_items

# Definitions kept parsed; the app has a handful, a test session a few hundred small ones.
PARSED_CACHE_SIZE: Final[int] = 256

# The modules whose seams change what moto's parser builds: a program kept on disk is keyed on their text too.
PARSE_TIME_FIXES: Final = (intrinsic_strings, grammar_gaps, map_items)

_ASL: Final[str] = "moto.stepfunctions.parser.asl"


@functools.lru_cache(maxsize=PARSED_CACHE_SIZE)
def parsed(definition: str) -> Any:
    """The program of `definition`, parsed on first use, its heap keys settled (an invalid one raises, uncached);
    from the disk cache when an earlier process parsed it."""
    stored = _stored_path(definition)
    program = _load(stored)
    if program is None:
        program = seams.read(f"{_ASL}.parse.asl_parser.AmazonStateLanguageParser").parse(definition)[0]
        _settle_heap_keys(
            program,
            seams.read(f"{_ASL}.component.component.Component"),
            seams.read(f"{_ASL}.component.eval_component.EvalComponent"),
        )
        _store(stored, program)
    return program


def _stored_path(definition: str) -> Path | None:
    """Where the parsed program of `definition` is kept between processes (None: not kept). Keyed by the definition,
    moto's version and Python's (a program is moto's objects, pickled) and the parse-time fixes' text;
    `ORCH_ASL_CACHE=off` turns it off."""
    if os.environ.get("ORCH_ASL_CACHE", "").lower() == "off":
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(f"{moto.__version__}|{sys.version}|{_fixes_digest()}|{definition}".encode()).hexdigest()
    return base / "event-orchestrator" / "asl" / f"{key}.pickle"


@functools.cache
def _fixes_digest() -> str:
    return hashlib.sha256(b"".join(Path(str(module.__file__)).read_bytes() for module in PARSE_TIME_FIXES)).hexdigest()


def _load(stored: Path | None) -> Any:
    """The program kept at `stored`, only from a file this user owns that no one else may write (it is unpickled);
    None when there is none, or it cannot be read."""
    if stored is None:
        return None
    try:
        status = stored.stat()
        if status.st_uid != os.getuid() or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return None
        return pickle.loads(stored.read_bytes())  # noqa: S301 - this user's own file, written by `_store`
    except (OSError, pickle.UnpicklingError, AttributeError, ImportError, EOFError):
        return None


def _store(stored: Path | None, program: Any) -> None:
    """Keeps the program at `stored` (written whole, then renamed: concurrent test workers share the folder)."""
    if stored is None:
        return
    try:
        stored.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=stored.parent, delete=False) as partial:
            partial.write(pickle.dumps(program))
        Path(partial.name).replace(stored)
    except (OSError, pickle.PicklingError, RecursionError):
        return  # a cache: not keeping the program only costs a parse in the next process


def bind_parse_once(seam_set: SeamSet) -> None:
    """Binds the process's parse cache into `seam_set`, for executions and for CreateStateMachine's validation, and
    the parser's scopes per parse."""
    parser_exception = seams.read(f"{_ASL}.parse.asl_parser.ASLParserException")

    def evaluation_entrypoint(worker: Any) -> Any:
        return parsed(worker._evaluation_details.state_machine_details.definition)

    def validate_definition(definition: str) -> None:
        # moto's messages (models.StepFunctionsParserBackend._validate_definition), under AWS's error code: moto's
        # InvalidDefinition reaches the caller with an empty code (x-amzn-errortype UnknownError).
        try:
            parsed(definition)
        except parser_exception as error:
            raise InvalidDefinitionError(repr(error)) from None
        except Exception as error:  # noqa: BLE001 - moto maps every other error the same way
            raise InvalidDefinitionError(
                f"Error={error.__class__.__name__} Args={list(error.args)} in definition '{definition}'."
            ) from None

    seam_set.add(declared.PARSER_SCOPES_PER_PARSE, _scopes_of_its_own)
    seam_set.replace(declared.PARSE_ONCE, evaluation_entrypoint)
    seam_set.replace(declared.VALIDATE_FROM_PARSE_CACHE, staticmethod(validate_definition))


def _scopes_of_its_own(preprocessor: Any) -> None:
    """`Preprocessor.__init__` (moto defines none): the QueryLanguage scopes of this parse only."""
    preprocessor._query_language_per_scope = []


class InvalidDefinitionError(JsonRESTError):
    """CreateStateMachine's answer to a definition that does not parse, as AWS names it."""

    def __init__(self, message: str) -> None:
        super().__init__("InvalidDefinition", message)


def _settle_heap_keys(program: Any, component: type[Any], eval_component: type[Any]) -> None:
    """Sets the heap key of every component of `program` (moto picks one lazily, on first use). The walk goes
    through every `Component`: some that hold evaluated ones (the `States` of a program) are not evaluated."""
    seen: set[int] = set()
    pending: list[Any] = [program]
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, component):
            if isinstance(item, eval_component):
                _ = item.heap_key
            pending.extend(vars(item).values())
        elif isinstance(item, list | tuple | set | frozenset):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
