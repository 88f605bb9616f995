"""The ledger of the local runtime: which threads are at work, what each one waits for, and a count of changes.

Quiet detection reads it instead of sampling threads. Every thread that does the runtime's work is entered as a
*worker* for as long as it runs: the runtime's own (deliveries, asynchronous invocations, poller batches, the
clock's ticker while it fires timers) and every thread of moto's Step Functions interpreter (an execution, its
program, a task, a Parallel branch, a Map iteration: `stepfunctions/threads.py` enters each one as moto creates it).
A worker blocks only in a *wait* entered here, with a name and a test of whether it is over (its event set, its
deadline passed on the clock): the clock's waits enter themselves, the poller's idle wait too.

The system is quiet when no work is expected (submitted, not started) and every worker is in a wait that is not over.
Every change (work expected, started or ended; a wait entered or left) bumps `epoch` under one lock, so a reader who
saw the same epoch before and after reading saw one consistent moment. What makes a wait over without a change here
(an event set, time passing) is done by a worker, which is then not in a wait, or by a thread outside the runtime
(a test, an HTTP request) whose effect is itself visible: the event set, the execution started, the message sent.

A thread blocked anywhere else (a lock, a real-time sleep) counts as working: the ledger errs towards busy, so a
missing wait shows up as `NotQuietError` naming the thread, never as a quiet system that is not.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

Over = Callable[[float], bool]  # given the clock's now: is the wait over (its thread about to move)?


@dataclass(frozen=True)
class Wait:
    """A worker blocked on something named, until `over(now)`; `deadline` (on the clock) when time ends it."""

    thread: int
    what: str
    over: Over
    deadline: float | None


@dataclass(frozen=True)
class Reading:
    """What the ledger showed at one moment (one epoch)."""

    epoch: int
    busy: list[str]  # why the system is not quiet: expected work, and workers not in a wait (or in one that is over)
    waits: list[tuple[str, Wait]]  # the waits of workers, over or not, each with what its worker works on


class Ledger:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._epoch = 0
        self._workers: Counter[int] = Counter()  # thread ident -> nesting depth of `work`
        self._names: dict[int, str] = {}  # thread ident -> what its outermost work is
        self._expected: Counter[str] = Counter()  # work submitted whose thread has not started yet
        self._waits: dict[int, Wait] = {}
        self._wait_depth: Counter[int] = Counter()  # thread ident -> waits it is in (nested waits count each)
        self._working: set[int] = set()  # workers in no wait: while one is, the system is busy, read in O(1)
        self._ids = itertools.count()
        self._last_change = time.monotonic()

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def last_change(self) -> float:
        """When (time.monotonic) the ledger last changed: once still, the moment the system became so."""
        return self._last_change

    def expect(self, what: str) -> None:
        """Work was handed to a thread not yet running: busy from now, until that thread calls `work(what, ...)`
        with `expected=True`."""
        with self._changed:
            self._expected[what] += 1
            self._bump()

    def abandon(self, what: str) -> None:
        """Expected work will not run after all (its thread could not start)."""
        with self._changed:
            self._settle(what)
            self._bump()

    @contextmanager
    def work(self, what: str, *, expected: bool = False) -> Iterator[None]:
        """The calling thread works on `what` until the block ends (blocks nest); `expected`: it is the thread an
        `expect(what)` announced."""
        ident = threading.get_ident()
        with self._changed:
            if expected:
                self._settle(what)
            self._workers[ident] += 1
            self._names.setdefault(ident, what)
            if not self._wait_depth[ident]:
                self._working.add(ident)
            self._bump()
        try:
            yield
        finally:
            with self._changed:
                self._workers[ident] -= 1
                if self._workers[ident] <= 0:
                    del self._workers[ident]
                    self._names.pop(ident, None)
                    self._working.discard(ident)
                self._bump()

    def relabel(self, what: str) -> None:
        """Names anew what the calling thread works on (once it knows more: the execution a thread runs)."""
        with self._changed:
            if threading.get_ident() in self._names:
                self._names[threading.get_ident()] = what

    @contextmanager
    def waiting(self, what: str, over: Over, deadline: float | None = None) -> Iterator[None]:
        """The calling thread blocks on `what` until the block ends; `over(now)` tells whether it is about to
        move (the event it waits on is set, its deadline passed)."""
        key, ident = next(self._ids), threading.get_ident()
        with self._changed:
            self._waits[key] = Wait(ident, what, over, deadline)
            self._wait_depth[ident] += 1
            self._working.discard(ident)
            self._bump()
        try:
            yield
        finally:
            with self._changed:
                del self._waits[key]
                self._wait_depth[ident] -= 1
                if self._wait_depth[ident] <= 0:
                    del self._wait_depth[ident]
                    if ident in self._names:
                        self._working.add(ident)
                self._bump()

    def first_busy(self, now: float) -> str | None:
        """One thing busy at clock time `now` (None: nothing is), found without reading the rest: the quiet wait
        asks at every change of the ledger while hundreds of threads are in it. While a worker is in no wait this
        takes constant time; only when every worker waits are the waits asked whether they are over."""
        with self._changed:
            if self._expected:
                return f"{next(iter(self._expected))} (expected, not started)"
            if self._working:
                return f"{self._names[next(iter(self._working))]}: working"
            waiting = {wait.thread: wait for wait in self._waits.values()}
            workers = list(self._names.items())
        # As in `read`: a wait's `over` is asked outside the ledger's lock (it may take its owner's lock).
        for ident, what in workers:
            wait = waiting.get(ident)
            if wait is None:
                return f"{what}: working"
            if wait.over(now):
                return f"{what}: {wait.what} is over, about to move on"
        return None

    def read(self, now: float) -> Reading:
        """Who is busy and who waits, at clock time `now`."""
        with self._changed:
            waits = list(self._waits.values())
            workers = dict(self._names)
            busy = [f"{what} (expected, not started)" for what, count in self._expected.items() for _ in range(count)]
            epoch = self._epoch
        waiting = {wait.thread: wait for wait in waits if wait.thread in workers}
        for ident, what in workers.items():
            wait = waiting.get(ident)
            if wait is None:
                busy.append(f"{what}: working")
            elif wait.over(now):
                busy.append(f"{what}: {wait.what} is over, about to move on")
        return Reading(epoch, busy, [(workers[wait.thread], wait) for wait in waits if wait.thread in workers])

    def waits_entered(self) -> int:
        """How many waits threads are in now, a worker's or not."""
        with self._changed:
            return len(self._waits)

    def deadlines(self) -> list[float]:
        """The deadlines of every wait (a worker's or not)."""
        with self._changed:
            return [wait.deadline for wait in self._waits.values() if wait.deadline is not None]

    def wait_for_change(self, epoch: int, timeout: float) -> None:
        """Blocks (real time) until the epoch moves past `epoch`, or `timeout` passes."""
        with self._changed:
            self._changed.wait_for(lambda: self._epoch != epoch, timeout)

    def _settle(self, what: str) -> None:
        self._expected[what] -= 1
        if self._expected[what] <= 0:
            del self._expected[what]

    def _bump(self) -> None:
        self._epoch += 1
        self._last_change = time.monotonic()
        self._changed.notify_all()
