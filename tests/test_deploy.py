"""The JupyterHub configuration in deploy/ loads in JupyterHub, and its spawn hook gives each
student the Studio notebook without overwriting an edited copy."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

from jupyterhub.app import JupyterHub
from jupyterhub.spawner import LocalProcessSpawner

from dlstudio.app.launch import NOTEBOOK

CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "jupyterhub_config.py"


def test_the_hub_config_loads_and_each_student_server_opens_the_studio(tmp_path: Path) -> None:
    hub = JupyterHub()
    hub.load_config_file(str(CONFIG))
    spawner = LocalProcessSpawner(config=hub.config)
    assert spawner.default_url == "/voila/render/dlstudio-studio.ipynb"
    assert spawner.mem_limit == 2 * 1024**3 and spawner.cpu_limit == 1.0
    assert spawner.environment["DLSTUDIO_DATA_DIR"] == "data"
    (culler,) = hub.config.JupyterHub.services
    assert culler["command"][1:3] == ["-m", "jupyterhub_idle_culler"]
    assert {"delete:servers", "read:servers"} <= set(hub.config.JupyterHub.load_roles[0]["scopes"])

    student = SimpleNamespace(notebook_dir=str(tmp_path), user=SimpleNamespace(name="ada"))
    spawner.pre_spawn_hook(student)
    copied = tmp_path / "dlstudio-studio.ipynb"
    assert json.loads(copied.read_text()) == json.loads(NOTEBOOK.read_text())
    assert (tmp_path / "data").is_dir()
    copied.write_text('{"edited": true}')
    spawner.pre_spawn_hook(student)  # a second start keeps the student's copy
    assert json.loads(copied.read_text()) == {"edited": True}


def test_the_voila_server_extension_the_config_relies_on_is_enabled() -> None:
    config_dir = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d"
    voila = json.loads((config_dir / "voila.json").read_text())
    assert voila["ServerApp"]["jpserver_extensions"]["voila.server_extension"] is True
