"""JupyterHub for a class larger than one machine: every student gets a single-user Jupyter
server of their own, which opens the dlstudio Studio (Voila) on their own files.

Run on the hub machine (dlstudio, jupyterhub and jupyterhub-idle-culler installed; the proxy
from npm: `npm install -g configurable-http-proxy`):

    jupyterhub -f deploy/jupyterhub_config.py

This file uses the local-process spawner and system accounts, so it runs as it is on one
server. For many machines, swap the spawner (the lines marked "scale out"): DockerSpawner with
Docker Swarm, or KubeSpawner through the Zero to JupyterHub Helm chart, with an image holding
`pip install dlstudio`; mem_limit and cpu_limit are enforced there. Nothing here schedules work
itself: JupyterHub starts, stops and culls the students' servers.
"""

import shutil
from pathlib import Path

c = get_config()  # noqa: F821 - JupyterHub provides it when it reads this file

# The Studio notebook that `dlstudio app` serves, copied into each student's home on start.
STUDIO_NOTEBOOK = "dlstudio-studio.ipynb"


def copy_studio(spawner):
    """Put the Studio notebook (and a data folder) in the student's home before the server
    starts; an edited copy is never overwritten."""
    from dlstudio.app.launch import NOTEBOOK

    home = Path(spawner.notebook_dir or "~").expanduser()
    if not spawner.notebook_dir:
        home = Path(f"~{spawner.user.name}").expanduser()
    (home / "data").mkdir(parents=True, exist_ok=True)
    target = home / STUDIO_NOTEBOOK
    if not target.exists():
        shutil.copyfile(NOTEBOOK, target)


c.JupyterHub.ip = "0.0.0.0"
c.JupyterHub.port = 8000

# Who may log in: system accounts of the hub machine (PAM); use an OAuthenticator with your
# school's sign-in instead for real classes.
c.JupyterHub.authenticator_class = "jupyterhub.auth.PAMAuthenticator"
c.Authenticator.allow_all = True

# Each student's server opens the Studio, served by the Voila server extension.
c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"  # scale out: DockerSpawner
c.Spawner.default_url = f"/voila/render/{STUDIO_NOTEBOOK}"
c.Spawner.environment = {"DLSTUDIO_DATA_DIR": "data"}  # relative to the student's home
c.Spawner.pre_spawn_hook = copy_studio
c.Spawner.mem_limit = "2G"  # scale out: enforced by container spawners (a torch kernel ~0.5 GB)
c.Spawner.cpu_limit = 1.0

# Free the memory of students who left: stop servers idle for 30 minutes.
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": ["python3", "-m", "jupyterhub_idle_culler", "--timeout=1800"],
    }
]
