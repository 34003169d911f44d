"""Batching between the training thread and the page.

The training thread only appends to a list under a lock (about a microsecond). A daemon
thread wakes when something is pending and calls ``flush`` at most once per ``interval``
seconds, so a run of 2,000 steps/s still sends about four messages a second, and sending
(JSON encoding, the kernel's socket) never happens on the training thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Batcher:
    """Calls ``flush()`` on its own thread after ``poke()``, at most every ``interval`` s.

    Example:
        >>> calls = []
        >>> b = Batcher(lambda: calls.append(1), interval=0.01)
        >>> b.poke(); b.drain()
        True
        >>> len(calls)
        1
        >>> b.close()
    """

    def __init__(self, flush: Callable[[], None], interval: float = 0.25, name: str = "dlstudio"):
        if not interval > 0:
            raise ValueError(f"The flush interval must be above 0 seconds, not {interval}.")
        self.interval = float(interval)
        self._flush = flush
        self._name = name
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._last = 0.0
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._state_lock = threading.Lock()  # keeps "idle" and "woken" consistent

    def poke(self) -> None:
        """Something is pending: flush it soon (never sooner than ``interval`` after the last)."""
        if not self._wake.is_set():  # a plain read: the common case costs almost nothing
            with self._state_lock:
                self._idle.clear()
                self._wake.set()
            if self._thread is None:
                self._start()

    def drain(self, timeout: float = 5.0) -> bool:
        """Block until everything poked so far was flushed; False if ``timeout`` ran out."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        """Stop the thread after one last flush of whatever is pending."""
        self._closed = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(5.0)

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._loop, name=f"{self._name}-batcher", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            delay = self._last + self.interval - time.monotonic()
            if delay > 0 and not self._closed:
                time.sleep(delay)
            self._wake.clear()  # pokes from now on wake the next round
            self._run_flush()
            self._last = time.monotonic()
            with self._state_lock:
                if not self._wake.is_set():
                    self._idle.set()
            # Checked after the flush: a close() that came at any point above got flushed.
            if self._closed:
                return

    def _run_flush(self) -> None:
        try:
            self._flush()
        except Exception:  # a failed send must not kill the thread: the next flush retries
            log.exception("dlstudio: sending live updates to the page failed")
