"""The server extension's endpoints; each takes a small JSON body (graph documents, editor
requests, names inside the server's root) and answers JSON.

- ``GET  dlstudio/catalog``: the layers, their categories and the templates (what the palette
  shows), and the ``starter`` document a new graph document holds.
- ``POST dlstudio/analyze`` ``{"graph": <document>}``: the document as the core reads it, with
  its shapes, problems, parameter counts and code. A document the core refuses is a 400 whose
  ``problems`` are the core's sentences.
- ``POST dlstudio/export-python`` ``{"path": "<file>.dlgraph"}``: writes the generated module as
  ``<file>.py`` beside the graph document, inside the server's root; answers its path.
- ``POST dlstudio/editor`` ``{"graph": <document held>, "request": <editor request>}``: one
  request of the widget protocol (``dlstudio.ui.protocol``) answered by the code the ModelBuilder
  uses (``graph.editor_requests``), for an editor without a kernel; the answer
  (``protocol.EditorAnswer``) carries the document now held and its analysis and code.
- ``POST dlstudio/tutorials`` ``{"folder": "<name>"}`` (optional): copies the tutorial
  notebooks into that folder of the server's root, never over a copy the learner edited.

Bodies over ``MAX_BODY`` bytes are refused before they are parsed; nothing from a request is
executed; paths outside the server's root are refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from dlstudio import paths, tutorials
from dlstudio.graph import Graph, GraphError, editor_requests, examples, layers
from dlstudio.graph.document import parse_json, write_atomically
from dlstudio.graph.editor_state import analysis_state, code_state, framework_codes
from dlstudio.ui import protocol

MAX_BODY = 4_000_000
"""The largest request body read (a 20,000-node document is about 3 MB)."""

GRAPH_SUFFIX = ".dlgraph"

TUTORIALS_FOLDER = "dlstudio-tutorials"
"""Where ``dlstudio/tutorials`` copies the notebooks unless the request names a folder."""


class _JsonHandler(APIHandler):
    """Reads a bounded JSON object body and answers JSON errors in sentences."""

    def body(self) -> dict[str, Any]:
        if len(self.request.body) > MAX_BODY:
            raise web.HTTPError(413, f"The request is larger than {MAX_BODY:,} bytes.")
        try:
            data = parse_json(self.request.body)
        except (ValueError, RecursionError):
            raise web.HTTPError(400, "The request body is not readable JSON.") from None
        if not isinstance(data, dict):
            raise web.HTTPError(400, "The request body must be a JSON object.")
        return data

    def answer(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data))

    def refuse_graph(self, error: GraphError) -> None:
        """A document the core refuses: a 400 whose ``problems`` are the core's sentences."""
        problems = [problem.to_dict() for problem in error.problems]
        self.answer({"error": str(error), "problems": problems}, status=400)


class CatalogHandler(_JsonHandler):
    @web.authenticated
    def get(self) -> None:
        self.answer(
            {
                "catalog": layers.catalog(),
                "categories": list(layers.CATEGORIES),
                "templates": examples.names(),
                "starter": examples.starter().to_dict(),
            }
        )


class AnalyzeHandler(_JsonHandler):
    @web.authenticated
    def post(self) -> None:
        document = self.body().get("graph")
        try:
            graph = Graph.from_dict(document)
        except GraphError as error:
            self.refuse_graph(error)
            return
        self.answer({"graph": graph.to_dict(), **_state(graph)})


class ExportPythonHandler(_JsonHandler):
    def initialize(self, root: Path) -> None:
        self.root = root

    @web.authenticated
    def post(self) -> None:
        name = self.body().get("path")
        if not isinstance(name, str) or not name.endswith(GRAPH_SUFFIX):
            raise web.HTTPError(400, f"Name a {GRAPH_SUFFIX} file inside the server's folder.")
        try:
            source = paths.inside(self.root, name)
        except paths.PathError as error:
            raise web.HTTPError(403, str(error)) from None
        if not source.is_file():
            raise web.HTTPError(404, f"There is no graph document {name}.")
        try:
            graph = Graph.load(source)
            code = graph.to_code()
        except GraphError as error:
            self.answer({"error": str(error)}, status=400)
            return
        target = source.with_suffix(".py")
        write_atomically(target, code)
        self.answer({"path": target.relative_to(self.root).as_posix()})


class EditorHandler(_JsonHandler):
    """One editor request made on the document the editor holds, answered as the widget does.

    The server holds nothing between calls: the editor sends the document it holds with each
    request and keeps the one the answer brings back (``graph``; None when unchanged).
    """

    @web.authenticated
    def post(self) -> None:
        body = self.body()
        try:
            request = protocol.parse_request(body.get("request"))
        except protocol.ProtocolError as error:
            self.answer({"error": str(error)}, status=400)
            return
        try:
            held = Graph.from_dict(body.get("graph"))
        except GraphError as error:
            self.refuse_graph(error)
            return
        self.answer(_editor_answer(held, request))


def _editor_answer(held: Graph, request: protocol.Request) -> dict[str, Any]:
    """The ``protocol.EditorAnswer`` to ``request`` made on ``held``."""
    try:
        outcome, error = editor_requests.answer(held, request), None
    except editor_requests.REFUSALS as refusal:
        # Refused or failed: the editor keeps its document and shows the sentence.
        outcome, error = editor_requests.Outcome(None), editor_requests.sentence(refusal)
    now = held if outcome.graph is None else outcome.graph
    return {
        "ok": error is None,
        "error": error,
        "result": outcome.result,
        "graph": None if outcome.graph is None else now.to_dict(),
        "selection": outcome.selection,
        **_state(now),
    }


def _state(graph: Graph) -> dict[str, Any]:
    """Shapes, problems, parameter counts and code, from one analysis of ``graph``."""
    # As the widget does: one structure key serves the analysis and the code generator, so
    # the graph is analysed once (``Graph.analyze`` caches by that key).
    with graph._unchanging():
        return {**analysis_state(graph), "code": code_state(graph), **framework_codes(graph)}


class TutorialsHandler(_JsonHandler):
    """Copies the tutorial notebooks into one folder of the server's root."""

    def initialize(self, root: Path) -> None:
        self.root = root

    @web.authenticated
    def post(self) -> None:
        name = self.body().get("folder", TUTORIALS_FOLDER)
        try:
            folder = paths.child(self.root, name, what="folder")
        except paths.PathError as error:
            raise web.HTTPError(403, str(error)) from None
        try:
            copied = tutorials.copy_tutorials(folder)
        except OSError as error:  # e.g. a file of that name is in the way
            raise web.HTTPError(
                409, f"Cannot copy the tutorials into {name!r}: {error.strerror or error}."
            ) from None
        notebooks = [folder / notebook.name for notebook in tutorials.notebooks()]
        self.answer(
            {
                "folder": self._relative(folder),
                "notebooks": [self._relative(path) for path in notebooks],
                "copied": [self._relative(path) for path in copied],
            }
        )

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def routes(base_url: str, root_dir: str) -> list[tuple[str, type, dict[str, Any]]]:
    """The extension's URL patterns under ``base_url``."""
    prefix = base_url.rstrip("/") + "/dlstudio"
    root = Path(root_dir).expanduser().resolve()
    return [
        (f"{prefix}/catalog", CatalogHandler, {}),
        (f"{prefix}/analyze", AnalyzeHandler, {}),
        (f"{prefix}/export-python", ExportPythonHandler, {"root": root}),
        (f"{prefix}/editor", EditorHandler, {}),
        (f"{prefix}/tutorials", TutorialsHandler, {"root": root}),
    ]
