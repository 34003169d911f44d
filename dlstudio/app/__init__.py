"""The Studio as a web app (``dlstudio app``) and JupyterLab with the tutorials (``dlstudio lab``).

Example:
    $ dlstudio app                 # opens the Studio in the browser
    $ dlstudio app --port 9000 --no-browser
"""
