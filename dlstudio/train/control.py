"""Run state and the pause/stop handshake between the notebook thread and the training thread.

The loop polls two plain booleans once per step (free), and blocks on a condition only while
paused. ``pause()`` and ``stop()`` called from another thread wait until the loop has obeyed, so
``t.state`` is already right when they return.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

STATES = ("idle", "running", "paused", "stopped", "finished", "failed")


class StopRequested(Exception):  # noqa: N818 - internal signal, never escapes the loop
    """Raised inside the loop when ``stop()`` was asked for."""


class RunControl:
    """State machine of one trainer: idle → running ⇄ paused → stopped/finished/failed.

    Example:
        >>> c = RunControl()
        >>> c.state
        'idle'
    """

    def __init__(self) -> None:
        self.state = "idle"
        self.pause_requested = False
        self.stop_requested = False
        self.thread: threading.Thread | None = None
        self._owner: int | None = None
        self._cond = threading.Condition()

    @property
    def active(self) -> bool:
        return self.state in ("starting", "running", "paused")

    def in_loop_thread(self) -> bool:
        return self._owner == threading.get_ident()

    def _finish_previous(self) -> None:
        # A run's state is final before its on_fit_end hooks have run; a new run waits for
        # them, so two loops never overlap (Stop then Resume, clicked quickly).
        thread = self.thread
        if thread is not None and thread is not threading.current_thread() and not self.active:
            thread.join(timeout=60)

    def begin(self) -> None:
        """Mark the calling thread as the one running the loop."""
        if self.state != "starting":
            self._finish_previous()
        with self._cond:
            starting = self.state == "starting" and self.thread is threading.current_thread()
            if self.active and not starting:
                raise RuntimeError("This trainer is already running; stop() or wait() first.")
            if not starting:  # start_thread cleared them; a stop() asked meanwhile must count
                self.pause_requested = self.stop_requested = False
            self._owner = threading.get_ident()
            self.state = "running"
            self._cond.notify_all()

    def end(self, state: str) -> None:
        with self._cond:
            self.state = state
            self._owner = None
            self._cond.notify_all()

    def set_state(self, state: str) -> None:
        with self._cond:
            self.state = state
            self._cond.notify_all()

    def start_thread(self, target: Callable[[], None]) -> None:
        """Run ``target`` (which calls ``begin``) in a daemon thread; return once it has begun."""
        self._finish_previous()
        with self._cond:
            if self.active:
                raise RuntimeError("This trainer is already running; stop() or wait() first.")
            self.thread = threading.Thread(target=target, name="dlstudio-trainer", daemon=True)
            self.pause_requested = self.stop_requested = False
            self.state = "starting"
            self.thread.start()
            self._cond.wait_for(lambda: self.state != "starting", timeout=30)

    def request_pause(self, timeout: float | None) -> None:
        with self._cond:
            if self.state != "running":
                return
            self.pause_requested = True
            if not self.in_loop_thread():
                self._cond.wait_for(lambda: self.state != "running", timeout=timeout)

    def request_resume(self) -> bool:
        """Unpause; False when the run is not paused (nothing to wake)."""
        with self._cond:
            was_paused = self.pause_requested or self.state == "paused"
            self.pause_requested = False
            self._cond.notify_all()
            return was_paused and self.state in ("paused", "running")

    def request_stop(self, timeout: float | None) -> None:
        with self._cond:
            if not self.active:
                return
            self.stop_requested = True
            self._cond.notify_all()
            if not self.in_loop_thread():
                self._cond.wait_for(lambda: not self.active, timeout=timeout)

    def wait_while_paused(self, on_paused: Callable[[], None]) -> None:
        """Block the loop while paused; raise StopRequested if stopped meanwhile."""
        with self._cond:
            if self.stop_requested:
                raise StopRequested
            self.state = "paused"
            self._cond.notify_all()
        on_paused()
        with self._cond:
            self._cond.wait_for(lambda: not self.pause_requested or self.stop_requested)
            if self.stop_requested:
                raise StopRequested
            self.state = "running"
            self._cond.notify_all()

    def join(self, timeout: float | None = None) -> None:
        thread = self.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
