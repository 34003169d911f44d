"""Real JupyterLab, Notebook 7 and Voila servers for the browser tests, each in its own sandbox.

Every server gets a temporary HOME (Jupyter writes ``~/.jupyter``, ``~/.ipython`` and
``~/.local/share/jupyter`` there), listens on a free 127.0.0.1 port, writes its output to a
log file under ``test-artifacts/servers/`` and runs in its own process group, so a teardown
can kill it together with its kernels whatever state the test left it in.

Example:
    >>> with start_voila(Path("demo.ipynb"), workdir=Path("/tmp/w")) as server:  # doctest: +SKIP
    ...     page.goto(server.url)
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import nbformat
import psutil
from playwright.sync_api import Locator, Page

from .browser import lab_open_and_run, notebook7_open_and_run

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = Path(os.environ.get("DLSTUDIO_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts"))
# The servers and their kernels must be this interpreter's: that is where dlstudio is installed.
VENV_BIN = Path(sys.executable).parent
KERNEL_NAME = "python3"
START_TIMEOUT_S = 90.0
STOP_GRACE_S = 5.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now.

    Example:
        >>> 1024 < free_port() < 65536
        True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_notebook(path: Path, cells: Sequence[str]) -> Path:
    """Write a notebook of code cells, using this venv's kernel, atomically to ``path``.

    Example:
        >>> write_notebook(tmp / "a.ipynb", ["print(1)"])  # doctest: +SKIP
    """
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in cells],
        metadata={
            "kernelspec": {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, path)
    return path


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def sandbox_env(home: Path) -> dict[str, str]:
    """Build a server environment whose Jupyter state all lives under ``home``.

    It also installs a kernelspec there that runs this interpreter, with the repository on
    PYTHONPATH as a fallback when dlstudio is not pip-installed.

    Example:
        >>> env = sandbox_env(Path("/tmp/h"))  # doctest: +SKIP
        >>> env["HOME"]  # doctest: +SKIP
        '/tmp/h'
    """
    home.mkdir(parents=True, exist_ok=True)
    # Inherited JUPYTER_* / IPYTHONDIR variables would point the server at the user's real
    # config and kernels, defeating the sandbox.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("JUPYTER") and k not in {"IPYTHONDIR", "PYTHONHOME", "VIRTUAL_ENV"}
    }
    pythonpath = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.update(
        HOME=str(home),
        PATH=os.pathsep.join([str(VENV_BIN), env.get("PATH", "")]),
        PYTHONPATH=pythonpath,
        VIRTUAL_ENV=str(VENV_BIN.parent),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONUNBUFFERED="1",
        # Matplotlib & co. would otherwise try to open windows or caches in odd places.
        MPLBACKEND="Agg",
    )
    kernel_dir = home / ".local" / "share" / "jupyter" / "kernels" / KERNEL_NAME
    _write_json(
        kernel_dir / "kernel.json",
        {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "env": {"PYTHONPATH": pythonpath},
            "metadata": {"debugger": False},
        },
    )
    return env


@dataclass
class ServerProcess:
    """A running server: its process, the port it listens on and its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's log, for error messages."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def wait_until_listening(self, timeout: float = START_TIMEOUT_S) -> None:
        """Poll the TCP port (neither server has a health URL) until it accepts connections."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.popen.returncode} before listening on "
                    f"port {self.port}. Its log ({self.log_path}) ends with:\n{self.log_tail()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(
            f"{self.name} did not listen on port {self.port} within {timeout:.0f} s. "
            f"Its log ({self.log_path}) ends with:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Kill the server, its process group and every descendant (kernels run in their own
        sessions, so the process group alone would leave them behind)."""
        try:
            family = [psutil.Process(self.popen.pid)]
            family += family[0].children(recursive=True)
        except psutil.NoSuchProcess:
            family = []
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, sig)
            for proc in family:
                with suppress(psutil.NoSuchProcess):
                    proc.send_signal(sig)
            _, family = psutil.wait_procs(family, timeout=STOP_GRACE_S)
            if not family and self.popen.poll() is not None:
                break
        self.popen.wait(timeout=STOP_GRACE_S)


@contextmanager
def run_server(
    name: str, argv: Sequence[str], port: int, home: Path, cwd: Path
) -> Iterator[ServerProcess]:
    """Start ``argv`` in a new session with a sandboxed env, wait for ``port``, always kill it.

    Example:
        >>> with run_server("voila", ["voila", "nb.ipynb"], 8866, home, cwd) as s:  # doctest: +SKIP
        ...     print(s.base_url)
    """
    log_dir = ARTIFACTS_DIR / "servers"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{port}.log"
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=sandbox_env(home),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = ServerProcess(name=name, popen=popen, port=port, log_path=log_path)
    try:
        server.wait_until_listening()
        yield server
    finally:
        server.stop()


def _lab_user_settings(settings_dir: Path) -> None:
    # The news/update pop-up covers the page and would reach for the internet.
    _write_json(
        settings_dir / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
        {"fetchNews": "false", "checkForUpdates": False},
    )


@dataclass
class LabServer:
    """A running JupyterLab: where it is, its token and the folder it serves."""

    process: ServerProcess
    token: str
    root_dir: Path

    @property
    def base_url(self) -> str:
        return self.process.base_url

    def notebook_url(self, name: str) -> str:
        """URL that opens ``name`` (relative to root_dir) in the Lab UI.

        Each URL names a new workspace: the default one would reopen the tabs of earlier tests
        and Run All could land in one of them.
        """
        workspace = f"test-{secrets.token_hex(4)}"
        path = urllib.parse.quote(name)
        return f"{self.base_url}/lab/workspaces/{workspace}/tree/{path}?token={self.token}"

    def api(self, method: str, path: str) -> Any:
        """Call the server's REST API (``/api/...``) with the token; returns the parsed JSON."""
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_sessions(self) -> None:
        """Close every notebook session and kernel, so the next test starts from none."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def write_notebook(self, name: str, cells: Sequence[str]) -> Path:
        """Write a notebook of code cells into root_dir."""
        return write_notebook(self.root_dir / name, cells)

    def run_notebook(self, page: Page, name: str, cells: Sequence[str]) -> Locator:
        """Write a notebook into root_dir, open it in ``page``, Run All and wait for the kernel.

        Returns the notebook panel; raises AssertionError with the traceback if a cell fails.

        Example:
            >>> panel = jupyter_lab.run_notebook(page, "a.ipynb", ["print('hi')"])  # doctest: +SKIP
            >>> panel.locator(".jp-OutputArea").get_by_text("hi").wait_for()  # doctest: +SKIP
        """
        self.write_notebook(name, cells)
        return self.open_and_run(page, self.notebook_url(name))

    def open_and_run(self, page: Page, url: str) -> Locator:
        """Open a notebook URL of this server, wait for its kernel and Run All."""
        return lab_open_and_run(page, url)


@dataclass
class NotebookServer(LabServer):
    """A running Jupyter Notebook 7: the same server as Lab, with one page per notebook."""

    def notebook_url(self, name: str) -> str:
        """URL that opens ``name`` (relative to root_dir) on its own Notebook 7 page."""
        return f"{self.base_url}/notebooks/{urllib.parse.quote(name)}?token={self.token}"

    def open_and_run(self, page: Page, url: str) -> Locator:
        return notebook7_open_and_run(page, url)


# The traitlets class of each front-end's server extension, which owns its workspace and
# user-settings folders.
_APP_CLASSES = {"lab": "LabApp", "notebook": "JupyterNotebookApp"}
_Server = TypeVar("_Server", bound=LabServer)


@contextmanager
def _start_jupyter(app: str, server: type[_Server], workdir: Path, name: str) -> Iterator[_Server]:
    """Start ``jupyter <app>`` (lab or notebook) on a free port with a token, a fresh HOME,
    workspaces and root dir."""
    home, root, workspaces = workdir / "home", workdir / "root", workdir / "workspaces"
    for folder in (home, root, workspaces):
        folder.mkdir(parents=True, exist_ok=True)
    settings = home / ".jupyter" / "lab" / "user-settings"
    _lab_user_settings(settings)
    token = secrets.token_hex(16)
    port = free_port()
    app_class = _APP_CLASSES[app]
    argv = [
        str(VENV_BIN / "jupyter"),
        app,
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}",
        "--ServerApp.allow_root=True",
        f"--ServerApp.root_dir={root}",
        f"--{app_class}.workspaces_dir={workspaces}",
        f"--{app_class}.user_settings_dir={settings}",
        # The default manager queries PyPI, which this sandbox cannot reach. Notebook 7 loads
        # JupyterLab's server extension too, so the setting applies to both.
        "--LabApp.extension_manager=readonly",
    ]
    with run_server(name, argv, port, home, cwd=root) as process:
        yield server(process=process, token=token, root_dir=root)


@contextmanager
def start_jupyter_lab(workdir: Path, name: str = "jupyterlab") -> Iterator[LabServer]:
    """Start JupyterLab on a free port with a token, a fresh HOME, workspace and root dir.

    Example:
        >>> with start_jupyter_lab(Path("/tmp/w")) as lab:  # doctest: +SKIP
        ...     page.goto(lab.notebook_url("a.ipynb"))
    """
    with _start_jupyter("lab", LabServer, workdir, name) as lab:
        yield lab


@contextmanager
def start_notebook7(workdir: Path, name: str = "notebook7") -> Iterator[NotebookServer]:
    """Start Jupyter Notebook 7 in the same sandbox as ``start_jupyter_lab``.

    Example:
        >>> with start_notebook7(Path("/tmp/w")) as nb:  # doctest: +SKIP
        ...     panel = nb.run_notebook(page, "a.ipynb", ["print('hi')"])
    """
    with _start_jupyter("notebook", NotebookServer, workdir, name) as notebook:
        yield notebook


@contextmanager
def start_voila(
    notebook: Path, workdir: Path, extra_args: Sequence[str] = (), name: str = "voila"
) -> Iterator[ServerProcess]:
    """Serve ``notebook`` with Voila on a free port (at ``/``, no token) with its own HOME.

    Example:
        >>> with start_voila(nb, Path("/tmp/w")) as voila:  # doctest: +SKIP
        ...     page.goto(voila.base_url)
    """
    port = free_port()
    argv = [
        str(VENV_BIN / "voila"),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        *extra_args,
        str(notebook),
    ]
    with run_server(name, argv, port, workdir / "home", cwd=notebook.parent) as process:
        yield process
