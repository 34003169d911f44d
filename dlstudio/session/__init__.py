"""The Studio's state as plain values: the data choice (``DataSpec``) and the whole session
(``StudioSession``, saved to a folder and loaded back). No Jupyter needed.

Example:
    >>> from dlstudio.session import DataSpec, StudioSession
    >>> DataSpec("builtin", "iris").describe()
    "datasets.load('iris')"
"""

from dlstudio.session.data import DataSpec
from dlstudio.session.folder import SessionError, StudioSession, is_session

__all__ = ["DataSpec", "SessionError", "StudioSession", "is_session"]
