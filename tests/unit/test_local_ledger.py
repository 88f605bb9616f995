"""The ledger: who works, what each worker waits for, and when that wait is over, without looking at any thread."""

from __future__ import annotations

import threading
from pathlib import Path

from orchestrator.local.clock import Clock
from orchestrator.local.ledger import Ledger
from tests.settling import until_a_wait


class FrozenTime:
    def __init__(self) -> None:
        self.value = 1_000.0

    def __call__(self) -> float:
        return self.value


def test_work_is_busy_from_when_it_is_expected_until_its_thread_ends() -> None:
    ledger = Ledger()
    ledger.expect("delivery")
    assert ledger.read(0.0).busy == ["delivery (expected, not started)"]
    started, release = threading.Event(), threading.Event()

    def deliver() -> None:
        with ledger.work("delivery", expected=True):
            started.set()
            release.wait()

    thread = threading.Thread(target=deliver)
    thread.start()
    started.wait()
    try:
        assert ledger.read(0.0).busy == ["delivery: working"], "no longer expected: at work"
    finally:
        release.set()
        thread.join()
    assert ledger.read(0.0).busy == []


def test_the_runtime_reads_no_other_threads_frames() -> None:
    """Issue acceptance: quiet detection knows what is in flight from the ledger, never from other threads' stacks."""
    package = Path(__file__).parents[2] / "orchestrator" / "local"
    readers = [
        f"{path.relative_to(package)}: {name}"
        for path in sorted(package.rglob("*.py"))
        for name in ("_current_frames", "f_locals", "settrace", "setprofile")
        if name in path.read_text(encoding="utf-8")
    ]
    assert readers == []


def test_a_worker_in_a_clock_wait_is_still_and_is_busy_again_as_soon_as_the_wait_is_over() -> None:
    """Set the event it waits on and read at once: the worker has not run yet, and it already counts as busy."""
    time = FrozenTime()
    clock = Clock(now=time)
    ledger = clock.ledger
    token = threading.Event()
    entered = threading.Event()
    moved_on = threading.Event()

    def wait_for_token() -> None:
        with ledger.work("a task"):
            entered.set()
            clock.wait(token, 60, "a task token")
            moved_on.wait()

    thread = threading.Thread(target=wait_for_token)
    thread.start()
    entered.wait()
    try:
        until_a_wait(ledger)
        reading = ledger.read(time())
        assert reading.busy == []
        assert [(worker, w.what, w.deadline) for worker, w in reading.waits] == [("a task", "a task token", 1_060.0)]
        token.set()
        assert ledger.read(time()).busy != [], "over, whether or not the thread has woken yet"
    finally:
        token.set()
        moved_on.set()
        thread.join()


def test_a_wait_whose_deadline_has_passed_is_busy_before_its_thread_wakes() -> None:
    time = FrozenTime()
    clock = Clock(now=time)
    done = threading.Event()

    def sleep() -> None:
        with clock.ledger.work("a retry"):
            clock.wait(done, 30, "a Retry interval")

    thread = threading.Thread(target=sleep)
    thread.start()
    try:
        until_a_wait(clock.ledger)
        assert clock.ledger.read(time()).busy == []
        assert clock.ledger.read(time() + 30).busy == ["a retry: a Retry interval is over, about to move on"]
        assert clock.next_deadline() == 1_030.0
    finally:
        done.set()
        thread.join()


def test_every_change_moves_the_epoch_and_a_thread_outside_the_runtime_is_not_a_worker() -> None:
    ledger = Ledger()
    epochs = [ledger.epoch]
    ledger.expect("x")
    epochs.append(ledger.epoch)
    with ledger.work("x", expected=True):
        epochs.append(ledger.epoch)
        with ledger.waiting("y", lambda _: False):
            epochs.append(ledger.epoch)
            assert ledger.read(0.0).busy == []
        epochs.append(ledger.epoch)
    epochs.append(ledger.epoch)
    assert epochs == sorted(set(epochs)), "strictly increasing"
    with ledger.waiting("a test's own wait", lambda _: False, deadline=5.0):
        reading = ledger.read(0.0)
        assert (reading.busy, reading.waits) == ([], []), "not a worker: neither busy nor listed"
        assert ledger.deadlines() == [5.0], "its deadline still counts for advancing the clock"


def test_a_blocked_worker_outside_any_wait_counts_as_working() -> None:
    """A lock, a real-time sleep: the ledger errs towards busy, never towards a quiet that is not."""
    ledger = Ledger()
    lock = threading.Lock()
    lock.acquire()
    inside = threading.Event()

    def blocked() -> None:
        with ledger.work("a handler"):
            inside.set()
            with lock:
                pass

    thread = threading.Thread(target=blocked)
    thread.start()
    inside.wait()
    try:
        assert ledger.read(0.0).busy == ["a handler: working"]
    finally:
        lock.release()
        thread.join()


def test_first_busy_agrees_with_a_full_read_as_workers_enter_and_leave_waits() -> None:
    """`first_busy` answers from the set of workers in no wait (constant time while one works); it must say busy
    exactly when a full `read` does, through nested work, nested waits, and waits of threads that are not workers."""
    ledger = Ledger()
    over = threading.Event()

    def agree(expected_busy: bool) -> None:
        assert bool(ledger.read(0.0).busy) is expected_busy
        assert (ledger.first_busy(0.0) is not None) is expected_busy

    agree(False)
    with ledger.waiting("a wait outside any work", lambda now: False):
        agree(False)  # a thread outside the runtime waiting is not a worker
        with ledger.work("work begun inside a wait"):
            agree(False)  # a worker already in a wait that is not over
        agree(False)
    with ledger.work("delivery"):
        agree(True)
        with ledger.work("nested"):
            agree(True)
        with ledger.waiting("a token", lambda now: over.is_set()):
            agree(False)
            with ledger.waiting("a nested wait", lambda now: False):
                agree(False)
            agree(False)  # still in the outer wait
            over.set()
            agree(True)  # the wait is over: about to move on
            over.clear()
        agree(True)  # left its wait: working again
    agree(False)
