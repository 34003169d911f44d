"""dlstudio's Jupyter Server extension: graph documents analysed by the Python core without a
kernel, for the editors of JupyterLab and Notebook 7.

Its handlers (``dlstudio.server.handlers``) sit under ``<base_url>/dlstudio/``, behind the
server's authentication and XSRF check like every Jupyter handler. It is enabled by the
``jupyter_server_config.d/dlstudio.json`` file the package installs.

Example:
    >>> _jupyter_server_extension_points()
    [{'module': 'dlstudio.server'}]
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "dlstudio.server"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    from dlstudio.server.handlers import routes

    web_app = server_app.web_app
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(".*$", routes(base_url, server_app.root_dir))
    server_app.log.info("dlstudio server extension loaded: %sdlstudio/", base_url)
