"""How the local cloud tells a thread that waits from one that works: by its innermost frame."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from orchestrator.local.clock import Clock
from orchestrator.local.quiet import frame_waits


@contextmanager
def running(target: Callable[[threading.Event], object]) -> Iterator[int]:
    """Runs `target(stop)` on a thread until the block ends; yields the thread's id once it has started."""
    stop = threading.Event()
    thread = threading.Thread(target=target, args=(stop,), daemon=True)
    thread.start()
    threading.Event().wait(0.05)  # let it reach its steady state
    try:
        assert thread.ident is not None
        yield thread.ident
    finally:
        stop.set()
        thread.join(5)


def innermost_frame_waits(ident: int) -> bool:
    return frame_waits(sys._current_frames()[ident])


def busy_loop(stop: threading.Event) -> None:
    total = 0
    while not stop.is_set():
        total += sum(range(1000))


def test_a_thread_blocked_on_an_event_waits() -> None:
    with running(lambda stop: stop.wait()) as ident:
        assert innermost_frame_waits(ident)


def test_a_thread_waiting_on_the_clock_waits() -> None:
    clock = Clock()
    with running(lambda stop: clock.wait(stop, 3600)) as ident:
        assert all(innermost_frame_waits(ident) for _ in range(20))


def test_a_thread_running_code_works() -> None:
    with running(busy_loop) as ident:
        assert not all(innermost_frame_waits(ident) for _ in range(20))


def test_a_thread_notified_but_not_yet_running_works() -> None:
    """Wake a thread parked in Condition.wait the way notify() does (release its waiter lock) and look at it at once:
    whether it has run since or not, it is not waiting any more."""
    condition = threading.Condition()

    def park_then_work(stop: threading.Event) -> None:
        with condition:
            condition.wait()
        busy_loop(stop)

    with running(park_then_work) as ident:
        assert innermost_frame_waits(ident), "parked"
        with condition:
            (waiter,) = condition._waiters  # type: ignore[attr-defined]
            waiter.release()  # what notify() does, without removing it from the list
            woken = innermost_frame_waits(ident)
        assert not woken


def test_a_clock_wait_whose_deadline_passed_works_even_before_it_wakes() -> None:
    """The clock jumped past the deadline: the thread leaves at its next poll, so it is not still."""
    clock = Clock()

    def wait_then_work(stop: threading.Event) -> None:
        clock.wait(stop, 3600)
        busy_loop(stop)

    with running(wait_then_work) as ident:
        assert innermost_frame_waits(ident)
        clock.advance(seconds=3601)
        assert not innermost_frame_waits(ident), "about to leave the wait, or already working"


def test_a_thread_starting_another_that_is_not_scheduled_yet_works() -> None:
    scheduled = threading.Event()

    class Late(threading.Thread):
        def _bootstrap(self) -> None:  # runs on the new thread before it tells `start()` it has started
            scheduled.wait(5)
            super()._bootstrap()  # type: ignore[misc]

    starter = threading.Thread(target=lambda: Late(target=lambda: None).start(), daemon=True)
    starter.start()
    try:
        threading.Event().wait(0.05)  # the starter now blocks in Thread.start()
        assert starter.ident is not None
        assert sys._current_frames()[starter.ident].f_code.co_name == "wait"
        assert not innermost_frame_waits(starter.ident)
    finally:
        scheduled.set()
        starter.join(5)
