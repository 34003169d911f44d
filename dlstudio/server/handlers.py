"""The server extension's endpoints; every one takes only graph documents and answers JSON.

- ``GET  dlstudio/catalog``: the layers, their categories and the templates (what the palette
  shows).
- ``POST dlstudio/analyze`` ``{"graph": <document>}``: the document as the core reads it, with
  its shapes, problems, parameter counts and code. A document the core refuses is a 400 whose
  ``problems`` are the core's sentences.
- ``POST dlstudio/export-python`` ``{"path": "<file>.dlgraph"}``: writes the generated module as
  ``<file>.py`` beside the graph document, inside the server's root; answers its path.

Bodies over ``MAX_BODY`` bytes are refused before they are parsed; nothing from a request is
executed; paths outside the server's root are refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from dlstudio import paths
from dlstudio.graph import Graph, GraphError, examples, layers
from dlstudio.graph.document import parse_json, write_atomically
from dlstudio.graph.editor_state import analysis_state, code_state

MAX_BODY = 4_000_000
"""The largest request body read (a 20,000-node document is about 3 MB)."""

GRAPH_SUFFIX = ".dlgraph"


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


class CatalogHandler(_JsonHandler):
    @web.authenticated
    def get(self) -> None:
        self.answer(
            {
                "catalog": layers.catalog(),
                "categories": list(layers.CATEGORIES),
                "templates": examples.names(),
            }
        )


class AnalyzeHandler(_JsonHandler):
    @web.authenticated
    def post(self) -> None:
        document = self.body().get("graph")
        try:
            graph = Graph.from_dict(document)
        except GraphError as error:
            problems = [problem.to_dict() for problem in error.problems]
            self.answer({"error": str(error), "problems": problems}, status=400)
            return
        self.answer({"graph": graph.to_dict(), **analysis_state(graph), "code": code_state(graph)})


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


def routes(base_url: str, root_dir: str) -> list[tuple[str, type, dict[str, Any]]]:
    """The extension's URL patterns under ``base_url``."""
    prefix = base_url.rstrip("/") + "/dlstudio"
    root = Path(root_dir).expanduser().resolve()
    return [
        (f"{prefix}/catalog", CatalogHandler, {}),
        (f"{prefix}/analyze", AnalyzeHandler, {}),
        (f"{prefix}/export-python", ExportPythonHandler, {"root": root}),
    ]
