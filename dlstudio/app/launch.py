"""Start the Studio web app (Voila) or JupyterLab, on 127.0.0.1 only.

Voila serves ``studio.ipynb`` from this package: one code cell, hidden, that shows the
Studio. The page can only talk to the widgets (Voila refuses execute requests from the page),
and the widgets check everything they receive, so the page has no way to run code.

Speed: the notebook is executed in a preheated kernel as soon as the server starts, so the
first visitor gets a Studio that is already built instead of waiting for ``import torch``;
only the two JupyterLab extensions the Studio needs are loaded into the page, and Voila
starts through a small bootstrap (``_VOILA_MAIN``) that trims its import time and makes an
early page wait for the preheated kernel. The page's template (``jupyter/voila/templates/
dlstudio``) is Voila's lab template without its links to a CDN: the page loads nothing from the
network.

Example:
    >>> voila_command(8866, open_browser=False)[-1].endswith("studio.ipynb")
    True
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

NOTEBOOK = Path(__file__).resolve().parent / "studio.ipynb"
PLAYGROUND_NOTEBOOK = Path(__file__).resolve().parent / "playground.ipynb"
# Holds voila/templates/dlstudio: Voila's lab template without its CDN stylesheet links.
TEMPLATES_ROOT = Path(__file__).resolve().parent / "jupyter"
TEMPLATE = "dlstudio"
DATA_DIR_ENV = "DLSTUDIO_DATA_DIR"
DEFAULT_PORT = 8866
REFILL_DELAY_S = 30
CULL_IDLE_S = 1800
"""A visitor's kernel idle this long (no page connected, no message) is shut down."""
CULL_INTERVAL_S = 60
MAX_SESSIONS_ENV = "DLSTUDIO_MAX_SESSIONS"
FULL_PAGE_ENV = "DLSTUDIO_FULL_PAGE"
FULL_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>dlstudio Studio: full</title>
</head><body style="font-family:sans-serif;max-width:36em;margin:4em auto">
<h1>The Studio is full right now</h1>
<p>{limit} people are using it, as many as this computer can serve. Please try again in a
minute or two: a place frees up when someone closes their page.</p></body></html>"""
# Lab extensions the Studio page does not use: plotly's 5 MB extension (our plots bundle their
# own plotly.js), the Lab preview button, the pygments theme and Notebook 7's Lab buttons.
# (An allow-list would also drop Voila's own widget-manager plugin, and no widget would render.)
UNUSED_EXTENSIONS = (
    "jupyterlab-plotly",
    "@voila-dashboards/jupyterlab-preview",
    "jupyterlab_pygments",
    "@jupyter-notebook/lab-extension",
)
# Voila is started through this bootstrap instead of `python -m voila`, for two measured
# start-up costs (benchmarks/bench_app.py):
# - Voila's server imports jsonschema (through jupyter_events), and jsonschema imports the
#   optional rfc3987_syntax, which builds a parser grammar on import: 1.5 of the 2.3 s Voila
#   takes to import here. It only adds jsonschema's "iri" format check, which none of the
#   server's event schemas use, so the import is blocked and the server (and the preheated
#   kernel it starts) come up that much sooner.
# - Voila gives a page the preheated kernel only once that kernel has started (its notebook
#   data is recorded then); a page that arrives earlier, as the one `dlstudio app` opens itself
#   may, gets a second, cold kernel that competes with the preheated one for the CPU (a third
#   of launches here). While the pool holds a kernel that is still starting, the page waits for
#   it instead (only without ?template=/?theme=, which that kernel might not match).
# - A class on one machine: with $DLSTUDIO_MAX_SESSIONS set, a visitor over the limit (kernels
#   given to pages, not the preheated one waiting in the pool) gets a short page saying the
#   Studio is full (HTTP 503, Retry-After) instead of one more kernel the memory cannot hold.
_VOILA_MAIN = """
import os
import sys
sys.modules["rfc3987_syntax"] = None
from voila.app import main
from voila.handler import VoilaHandler

_generate = VoilaHandler.get_generator
_limit = int(os.environ.get("DLSTUDIO_MAX_SESSIONS") or 0)
_FULL = os.environ.get("DLSTUDIO_FULL_PAGE", "")

def _visitors(manager):
    pooled = set()  # started kernels still waiting in the preheated pool
    for pool in getattr(manager, "_pools", {}).values():
        for started in pool:
            if started.done() and not started.cancelled() and started.exception() is None:
                pooled.add(started.result().get("kernel_id"))
    return len(set(manager.list_kernel_ids()) - pooled)

async def _generate_within_limit(self, path=None):
    if _limit and _visitors(self.kernel_manager) >= _limit:
        self.set_status(503)
        self.set_header("Retry-After", "60")
        yield _FULL
        return
    async for chunk in _generate(self, path):
        yield chunk

VoilaHandler.get_generator = _generate_within_limit

_use_rendered = getattr(VoilaHandler, "should_use_rendered_notebook", None)

def _use_pool_while_starting(self, data, pool_size, template, theme, args):
    if pool_size and not data and template is None and theme is None:
        return True
    return _use_rendered(self, data, pool_size, template, theme, args)

if _use_rendered is not None:  # another Voila version: start as Voila itself would
    VoilaHandler.should_use_rendered_notebook = _use_pool_while_starting
main()
"""


def app_studio(**kwargs: Any) -> Any:
    """Build and display the Studio for the app (runs inside the Voila kernel).

    The data folder comes from ``$DLSTUDIO_DATA_DIR`` (set by ``dlstudio app``).
    """
    from IPython.display import display

    from dlstudio.ui.studio import Studio

    studio = Studio(**kwargs)
    display(studio)
    return studio


def app_playground(**kwargs: Any) -> Any:
    """Build and display the Playground for ``dlstudio app --playground`` (in the Voila
    kernel); its state follows the page's address (``#dataset=spiral&...``), so a link shares it.
    """
    from IPython.display import display

    from dlstudio.ui.playground import Playground

    playground = Playground(url_state=True, **kwargs)
    display(playground)
    return playground


def voila_command(
    port: int = DEFAULT_PORT,
    open_browser: bool = True,
    extra: Sequence[str] = (),
    cull_idle_s: int = CULL_IDLE_S,
    notebook: Path = NOTEBOOK,
) -> list[str]:
    """The Voila command line that serves the Studio (or another app ``notebook``) on
    127.0.0.1:``port``; kernels idle for ``cull_idle_s`` seconds are shut down (0: never)."""
    argv = [
        sys.executable,
        "-c",
        _VOILA_MAIN,
        f"--port={int(port)}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        "--preheat_kernel=True",
        "--pool_size=1",
        # The pool refills after a visitor takes the kernel; a refill (a whole kernel start
        # and Studio build) right away would compete with the first page for the CPU.
        f"--VoilaKernelManager.fill_delay={REFILL_DELAY_S}",
        "--show_tracebacks=False",
        "--theme=light",
        f"--template={TEMPLATE}",
        *(f"--VoilaConfiguration.extension_denylist={name}" for name in UNUSED_EXTENSIONS),
        *_culling(cull_idle_s),
        *extra,
    ]
    if not open_browser:
        argv.append("--no-browser")
    argv.append(str(notebook))
    return argv


def _culling(idle_s: int) -> list[str]:
    if idle_s <= 0:
        return []
    interval = min(CULL_INTERVAL_S, max(1, idle_s // 2))
    return [
        f"--MappingKernelManager.cull_idle_timeout={int(idle_s)}",
        f"--MappingKernelManager.cull_interval={interval}",
        # Only kernels no page is connected to: a visitor still on the page keeps theirs.
        "--MappingKernelManager.cull_connected=False",
    ]


def lab_command(
    port: int | None = None, open_browser: bool = True, root: Path | None = None
) -> list[str]:
    """The JupyterLab command line, opened on the tutorials folder (or ``root``)."""
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={root or tutorials_dir()}",
    ]
    if port is not None:
        argv += [f"--port={int(port)}", "--ServerApp.port_retries=0"]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def tutorials_dir() -> Path:
    """The repository's tutorials folder when running from a checkout, else the current one."""
    checkout = Path(__file__).resolve().parents[2] / "tutorials"
    return checkout if checkout.is_dir() else Path.cwd()


def _run(argv: list[str], env: dict[str, str]) -> int:
    try:
        return subprocess.call(argv, env=env)
    except KeyboardInterrupt:  # Ctrl+C: the server shuts down on the same signal
        return 0


def run_app(
    port: int = DEFAULT_PORT,
    open_browser: bool = True,
    data_dir: str | os.PathLike | None = None,
    max_sessions: int = 0,
    cull_idle_s: int = CULL_IDLE_S,
    playground: bool = False,
) -> int:
    """Serve the Studio (or, with ``playground``, the Playground alone) with Voila until Ctrl+C;
    returns the server's exit status.

    ``data_dir`` (default: the current folder) is the only place the page may read CSV files
    and image folders from, and where sessions are saved. ``max_sessions`` (0: no limit) caps
    the visitors served at once; ``cull_idle_s`` frees the kernel of a visitor who left.
    """
    folder = Path(data_dir or os.getcwd()).expanduser().resolve()
    if not folder.is_dir():
        print(f"error: the data folder {folder} does not exist.", file=sys.stderr)
        return 2
    env = {
        **os.environ,
        DATA_DIR_ENV: str(folder),
        "JUPYTER_PATH": _jupyter_path(),
        MAX_SESSIONS_ENV: str(max(0, int(max_sessions))),
        FULL_PAGE_ENV: FULL_PAGE.format(limit=max_sessions),
    }
    name, notebook = ("Playground", PLAYGROUND_NOTEBOOK) if playground else ("Studio", NOTEBOOK)
    print(f"dlstudio {name}: http://127.0.0.1:{port}/  (data folder: {folder}; Ctrl+C stops it)")
    return _run(voila_command(port, open_browser, cull_idle_s=cull_idle_s, notebook=notebook), env)


def _jupyter_path() -> str:
    """JUPYTER_PATH with the Studio's Voila template first (Voila finds templates there)."""
    rest = os.environ.get("JUPYTER_PATH")
    return os.pathsep.join([str(TEMPLATES_ROOT), *([rest] if rest else [])])


def run_lab(port: int | None = None, open_browser: bool = True, root: Path | None = None) -> int:
    """Start JupyterLab on the tutorials folder (or ``root``) until Ctrl+C."""
    return _run(lab_command(port, open_browser, root), dict(os.environ))
