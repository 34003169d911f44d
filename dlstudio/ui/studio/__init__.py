"""The Studio: data, model builder, live training, code and sessions in one widget.

Example:
    >>> from dlstudio.ui.studio import Studio
    >>> studio = Studio("digits", template="lenet5")  # doctest: +SKIP
"""

from dlstudio.ui.studio.session import load_session, save_session
from dlstudio.ui.studio.studio import Studio

__all__ = ["Studio", "load_session", "save_session"]
