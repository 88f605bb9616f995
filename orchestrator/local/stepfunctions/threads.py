"""The threads of moto's Step Functions interpreter, each entered in the runtime's ledger for as long as it runs.

moto starts a thread for an execution, its program, each task (to time it out), each Parallel branch and each Map
iteration, and puts every one on its module-global list `TMP_THREADS` just before starting it. Each module's name for
that list is a seam (`seams.stepfunctions.INTERPRETER_THREADS`): an `InterpreterThreads` stands in for it, expects the
thread's work in the ledger as it is appended (so there is no moment between the parent's call and the thread's start
when nothing shows the work) and runs it as a worker. Where such a thread blocks (a Wait state, a retry interval, a
task token, a heartbeat, its task's time-out, its Parallel branches, its Map iterations) it waits on the clock, which
enters the wait in the ledger with its name (`timing.py`).

One wait is not on the clock: a `.sync` integration polls its job every 0.5 s of real time (no workflow of the app
uses one). Its thread then counts as working, so a run with one never looks quiet while the job runs.
"""

from __future__ import annotations

import threading

from orchestrator.local.ledger import Ledger
from orchestrator.local.seams import stepfunctions as declared


class InterpreterThreads:
    """Every interpreter thread started since the adapter was installed, the live ones kept for `uninstall()`."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()  # appended and not ended (moto's own list is never pruned)
        # The execution each interpreter thread works for: set where the program starts (`belongs_to`), inherited
        # by every thread started from there, so a wait in the ledger says which execution waits.
        self._execution = threading.local()

    def belongs_to(self, execution_arn: str) -> None:
        """The calling thread (an execution's, starting its program) and the threads it starts work for it."""
        self._execution.arn = execution_arn
        self._ledger.relabel(f"step functions: execution {execution_arn}")

    def execution_of_current_thread(self) -> str | None:
        """The execution the calling thread works for (None: not one of the interpreter's threads)."""
        return getattr(self._execution, "arn", None)

    def list_for(self, module: str) -> _ThreadList:
        """The stand-in for `module.TMP_THREADS`."""
        return _ThreadList(self, f"step functions: {declared.INTERPRETER_THREAD_KINDS[module]}")

    def alive(self) -> list[threading.Thread]:
        with self._lock:
            return [thread for thread in self._threads if thread.is_alive()]

    def add(self, thread: threading.Thread, what: str) -> None:
        """Enters `thread` (not started yet) in the ledger: its work is expected now, and done when it ends."""
        run = thread.run
        execution = getattr(self._execution, "arn", None)
        label = what if execution is None else f"{what} of execution {execution}"

        def run_as_worker() -> None:
            self._execution.arn = execution
            try:
                with self._ledger.work(what, expected=True):
                    self._ledger.relabel(label)
                    run()
            finally:
                with self._lock:
                    self._threads.discard(thread)

        thread.run = run_as_worker  # type: ignore[method-assign]  # Thread._bootstrap_inner calls self.run()
        self._ledger.expect(what)
        with self._lock:
            self._threads.add(thread)


class _ThreadList:
    """What moto's code does with `TMP_THREADS`: `append(thread)` before `thread.start()`."""

    def __init__(self, threads: InterpreterThreads, what: str) -> None:
        self._threads = threads
        self._what = what

    def append(self, thread: threading.Thread) -> None:
        self._threads.add(thread, self._what)
