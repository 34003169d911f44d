"""Keep the kernel and the page responsive while a training thread runs.

Two measured causes, both handled while a run with the live widgets is active and undone when
the last such run ends:

- CPython hands the GIL between threads every ``sys.getswitchinterval()`` seconds (5 ms by
  default). A training loop of tiny steps is mostly Python, so it holds the GIL nearly all the
  time, and each of the many GIL hand-offs the kernel's main thread needs to take in a button
  click (socket, parsing, handler, reply) waits up to 5 ms: measured in JupyterLab on two busy
  cores, Stop took 1.0 s to reach Python and 1.4 s to show "stopped". With 0.5 ms it took
  0.16 s and 0.5 s, for about the same steps/s. So the interval is shortened.
- PyTorch's intra-op threads default to one per core. With the page drawing the live plots on
  the same machine, one of those cores is busy, and the other threads wait for it at every
  parallel op: LeNet-5 on digits trained 1.5x slower with the Studio drawing than bare
  (benchmarks/bench_app.py, 2 cores). Leaving one core to the kernel and the browser made the
  run faster than the bare one with all cores. So the training thread uses one thread fewer
  than the cores it may run on (at least one).
"""

from __future__ import annotations

import os
import sys
import threading

import torch

RESPONSIVE_INTERVAL = 0.0005

_lock = threading.Lock()
_active = 0
_saved_interval = 0.005
_saved_threads = 1


def cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def training_threads(available: int | None = None, current: int | None = None) -> int:
    """PyTorch threads for a training run with live widgets: one core left for the page.

    Example:
        >>> training_threads(available=2, current=2), training_threads(16, 16), training_threads(1, 1)
        (1, 15, 1)
    """
    available = cores() if available is None else available
    current = torch.get_num_threads() if current is None else current
    return max(1, min(current, available - 1))


def enter() -> None:
    """A run with widgets attached starts (call it on the training thread)."""
    global _active, _saved_interval, _saved_threads
    with _lock:
        if _active == 0:
            _saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_saved_interval, RESPONSIVE_INTERVAL))
            _saved_threads = torch.get_num_threads()
        _active += 1
    # Every run's thread sets its own: OpenMP keeps the thread count per thread.
    torch.set_num_threads(training_threads(current=_saved_threads))


def leave() -> None:
    """That run ended: restore the interval and thread count once no such run is left."""
    global _active
    with _lock:
        if _active == 0:
            return
        _active -= 1
        if _active == 0:
            sys.setswitchinterval(_saved_interval)
            torch.set_num_threads(_saved_threads)
