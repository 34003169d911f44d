"""Keep the kernel answering clicks while a training thread runs.

CPython hands the GIL between threads every ``sys.getswitchinterval()`` seconds (5 ms by
default). A training loop of tiny steps is mostly Python, so it holds the GIL nearly all the
time, and each of the many GIL hand-offs the kernel's main thread needs to take in a button
click (socket, parsing, handler, reply) waits up to 5 ms: measured in JupyterLab on two busy
cores, Stop took 1.0 s to reach Python and 1.4 s to show "stopped". With 0.5 ms it took
0.16 s and 0.5 s, for about the same steps/s. So while a run with the live widgets is
active, the interval is shortened, and restored when the last such run ends.
"""

from __future__ import annotations

import sys
import threading

RESPONSIVE_INTERVAL = 0.0005

_lock = threading.Lock()
_active = 0
_saved = 0.005


def enter() -> None:
    """A run with widgets attached starts: shorten the GIL switch interval."""
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_saved, RESPONSIVE_INTERVAL))
        _active += 1


def leave() -> None:
    """That run ended: restore the interval once no such run is left."""
    global _active
    with _lock:
        if _active == 0:
            return
        _active -= 1
        if _active == 0:
            sys.setswitchinterval(_saved)
