"""``ModelBuilder``: the visual model editor widget (anywidget + React Flow).

The page edits the graph document; Python is the one source of truth for shapes, problems
and code. Each edit arrives in the synced ``graph`` trait, the core analyses it, and the
answer goes back as the ``shapes``, ``problems``, ``code`` and ``param_count`` traits, so a
saved notebook redraws without a kernel. One-off requests (templates, JSON files, fixes)
travel as custom messages answered with the same id (see ``protocol.py``). The
``graph_revision`` trait orders the graph traffic both ways, so that an older document never
replaces a newer one (docs/architecture.md, "Graph sync").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import anywidget
import traitlets
from ipywidgets import widget_serialization, widgets
from torch import nn

from dlstudio.graph import Graph, GraphError, examples, layers
from dlstudio.graph.blocks import BlockDefinition
from dlstudio.graph.document import Node
from dlstudio.ui import protocol
from dlstudio.ui._bundle import LOADER_ESM, BundleHost, shared_host

log = logging.getLogger(__name__)

ChangeCallback = Callable[[Graph], Any]

NO_CODE = "# The generated PyTorch code appears here once the graph has no problems.\n"


def starter_graph() -> Graph:
    """An empty canvas: one Input node (28×28 grey images by default)."""
    graph = Graph()
    graph.add("Input", id="input")
    graph.node("input").position = {"x": 40.0, "y": 40.0}
    return graph


def _as_graph(source: Graph | str | dict | None) -> Graph:
    if source is None:
        return starter_graph()
    if isinstance(source, Graph):
        return clone_graph(source)
    if isinstance(source, str):
        try:
            return examples.load(source)
        except KeyError as error:
            raise ValueError(error.args[0]) from None
    if isinstance(source, dict):
        return Graph.from_dict(source)
    raise TypeError(
        f"ModelBuilder takes a Graph, a template name or a graph dict, not {type(source).__name__}."
    )


def _structure(graph: Graph) -> str:
    """The document without positions: moving nodes around changes no shape or code."""
    doc = graph.to_dict()
    doc["nodes"] = [{k: v for k, v in n.items() if k != "position"} for n in doc["nodes"]]
    return json.dumps(doc, sort_keys=True)


class GraphTrait(traitlets.Instance):
    """A Graph synced as its JSON document.

    Reading gives a copy and assigning stores a copy, so ``g = b.graph; g.add(...);
    b.graph = g`` is seen as a change, and edits on the page never alter a Graph the
    user still holds.
    """

    def __init__(self) -> None:
        super().__init__(Graph, allow_none=False)

    def get(self, obj: Any, cls: Any = None) -> Any:
        value = super().get(obj, cls)
        return clone_graph(value) if isinstance(value, Graph) else value

    def set(self, obj: Any, value: Any) -> None:
        # Any new graph counts as a change: comparing two 500-node graphs (traitlets' default)
        # costs more than the analysis it would save, and the analysis skips moves anyway.
        new = self._validate(obj, value)
        old = obj._trait_values.get(self.name, self.default_value)
        obj._trait_values[self.name] = new
        if new is not old:
            obj._notify_trait(self.name, old, new)

    def validate(self, obj: Any, value: Any) -> Graph:
        graph = super().validate(obj, value)
        # A graph just read from the page is ours alone: no need to copy it again.
        return graph if graph is getattr(obj, "_page_graph", None) else clone_graph(graph)


def _clone(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _clone(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clone(item) for item in value]
    return value


def clone_graph(graph: Graph) -> Graph:
    """A deep copy of an already-checked graph, without parsing it again (fast at 500 nodes)."""
    blocks = {
        name: BlockDefinition(name, _clone_nodes(block.nodes), list(block.edges))
        for name, block in graph.blocks.items()
    }
    return Graph(
        _clone_nodes(graph.nodes), list(graph.edges), graph.max_params, dict(graph.metadata), blocks
    )


def _clone_nodes(nodes: list[Node]) -> list[Node]:
    return [
        Node(node.id, node.op, _clone(node.params), node.label, _clone(node.position))
        for node in nodes
    ]


def _graph_to_json(graph: Graph, _widget: Any) -> dict[str, Any]:
    return graph.to_dict()


STALE_REQUEST = (
    "The model was replaced from Python (a template, new data or an assignment) before this "
    "arrived, so nothing was changed; look at the new model and try again."
)


class ModelBuilder(anywidget.AnyWidget):
    """Drag layers onto a canvas, connect them, and get plain PyTorch.

    Example:
        >>> b = ModelBuilder("mlp")          # or ModelBuilder(), ModelBuilder(graph)
        >>> b.graph.param_count() > 0
        True
        >>> model = b.build()                # runs exactly the source shown in b.code
    """

    _esm = LOADER_ESM
    _bundle = traitlets.Instance(BundleHost).tag(sync=True, **widget_serialization)

    # The page's edits arrive through set_state below, never as a plain trait update, and are
    # never echoed: an echo arriving after a newer local edit would be an older document.
    graph = GraphTrait().tag(sync=True, echo_update=False, to_json=_graph_to_json)
    graph_revision = traitlets.Dict().tag(sync=True, echo_update=False)
    """Which page edit and which Python replacement ``graph`` includes (``GraphRevision``)."""
    selection = traitlets.List(traitlets.Unicode()).tag(sync=True, echo_update=False)
    catalog = traitlets.List().tag(sync=True)
    templates = traitlets.List(traitlets.Unicode()).tag(sync=True)
    shapes = traitlets.Dict().tag(sync=True)
    problems = traitlets.List().tag(sync=True)
    code = traitlets.Unicode(NO_CODE).tag(sync=True)
    param_count = traitlets.Int(0).tag(sync=True)
    block_params = traitlets.Dict().tag(sync=True)
    """Parameter count of each node that uses a named block (drawn on the collapsed node)."""
    error = traitlets.Unicode("").tag(sync=True)
    health = traitlets.Dict(traitlets.Unicode()).tag(sync=True)
    """Training health of each layer node, ``{node_id: "ok" | "warn" | "bad"}`` (node badges)."""
    health_notes = traitlets.Dict(traitlets.Unicode()).tag(sync=True)
    """The diagnoses behind a badge, in words (shown as the badge's tooltip)."""

    def __init__(self, graph: Graph | str | dict | None = None, **kwargs: Any) -> None:
        start = _as_graph(graph)
        self._callbacks: list[ChangeCallback] = []
        self._structure = ""
        self._page_graph: Graph | None = None  # the graph object last read from the page
        self._page_seen = 0  # the newest page edit received (taken or not)
        self._request_page = 0  # the newest page edit a request brought
        self._python_rev = 0  # documents Python put in place itself
        super().__init__(
            graph=start,
            _bundle=shared_host("builder"),
            catalog=layers.catalog(),
            templates=examples.names(),
            **kwargs,
        )
        self._analyse(notify=False)
        self.on_msg(self._on_message)

    @traitlets.default("graph_revision")
    def _no_revision(self) -> dict[str, int]:
        return {"page": 0, "python": 0}

    # -- the Python API --------------------------------------------------------------------

    @property
    def _current(self) -> Graph:
        """The stored graph itself (no copy), for reading inside the widget."""
        return self._trait_values["graph"]

    def build(self, class_name: str = "Net") -> nn.Module:
        """The nn.Module made from exactly the source in ``code``.

        Raises GraphError (listing every problem) while the graph has problems.
        """
        return self._current.build(class_name)

    def on_change(self, callback: ChangeCallback) -> Callable[[], None]:
        """Call ``callback(graph)`` after each change of the model (not of node positions).

        Returns a function that removes the callback.

        Example:
            >>> b = ModelBuilder()
            >>> stop = b.on_change(lambda g: print(len(g.nodes)))
            >>> b.graph = Graph()
            0
            >>> stop()
        """
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    def set_health(self, health: Mapping[str, str], notes: Mapping[str, str] | None = None) -> None:
        """Draw a health badge on each node in ``health`` (``{node_id: "ok" | "warn" |
        "bad"}``, e.g. ``InspectionCallback.health(graph)``); ``notes`` are the reasons in
        words, shown when the pointer rests on the badge. An empty mapping removes the badges.

        Example:
            >>> b = ModelBuilder("mlp")
            >>> b.set_health({"fc1": "warn"}, {"fc1": "Half the units never fire."})
            >>> b.health
            {'fc1': 'warn'}
        """
        wrong = {k: v for k, v in health.items() if v not in protocol.HEALTH_STATES}
        if wrong:
            raise ValueError(
                f"Health states must be one of {protocol.HEALTH_STATES}, not {wrong}; "
                "pass what InspectionCallback.health() returns."
            )
        with self.hold_sync():
            self.health = {str(k): str(v) for k, v in health.items()}
            self.health_notes = {str(k): str(v) for k, v in (notes or {}).items()}

    # -- keeping the answer in step with the graph ----------------------------------------

    @traitlets.observe("graph")
    def _graph_changed(self, _change: dict[str, Any]) -> None:
        self._analyse(notify=True)

    def _analyse(self, notify: bool) -> None:
        graph = self._current
        structure = _structure(graph)
        if structure == self._structure:
            return
        self._structure = structure
        analysis = graph.analyze()
        code = NO_CODE
        if analysis.ok:
            try:
                code = graph.to_code()
            except GraphError as error:  # the generator found what the analysis let through
                code = f"# {error}\n"
        with self.hold_sync():
            self.shapes = {node_id: list(shape) for node_id, shape in analysis.shapes.items()}
            self.problems = [problem.to_dict() for problem in analysis.problems]
            self.code = code
            self.param_count = analysis.param_count
            self.block_params = {
                node.id: analysis.weights.get(node.id, 0)
                for node in graph.nodes
                if node.op in graph.blocks
            }
            if notify and self.health:  # the badges described the model before this edit
                self.health, self.health_notes = {}, {}
        if notify:
            for callback in list(self._callbacks):
                try:
                    callback(clone_graph(graph))
                except Exception:  # a learner's callback must not break the editor
                    log.exception("A ModelBuilder on_change callback failed")

    # -- page <-> Python graph sync (docs/architecture.md, "Graph sync") ---------------------

    def _from_page(self) -> bool:
        return self._page_graph is not None and self._current is self._page_graph

    def notify_change(self, change: Any) -> None:
        # A graph Python put in place itself leaves with a new Python revision in the same
        # message: that is how the page tells a replacement from an old document.
        if change["name"] != "graph" or change["type"] != "change" or self._from_page():
            super().notify_change(change)
            return
        self._python_rev += 1
        with self.hold_sync():
            self.graph_revision = {"page": self._page_seen, "python": self._python_rev}
            self._states_to_send.add("graph")
        # Then the observers (the analysis, the learner's callbacks), as ipywidgets would; the
        # graph is not sent a second time.
        super(widgets.Widget, self).notify_change(change)

    def _should_send_property(self, key: str, value: Any) -> bool:
        # The page shows the graph it sent: no echo, and no serialising of 500 nodes to find
        # out that it would be one.
        if key == "graph" and self._from_page():
            return False
        return super()._should_send_property(key, value)

    def set_state(self, sync_data: dict[str, Any]) -> None:
        if "graph" not in sync_data and "graph_revision" not in sync_data:
            super().set_state(sync_data)
            return
        rest = dict(sync_data)
        doc = rest.pop("graph", None)
        revision = protocol.parse_revision(rest.pop("graph_revision", None))
        take = self._page_edit_is_current(revision) and "graph" in sync_data
        # Kept as a property lock: the page is not sent back what it already knows.
        rest["graph_revision"] = {"page": self._page_seen, "python": self._python_rev}
        super().set_state(rest)
        if take:
            self._take_page_graph(doc)

    def _page_edit_is_current(
        self, revision: protocol.GraphRevision | None, *, by_request: bool = False
    ) -> bool:
        """Record a page edit's revision; False when its document must not be taken."""
        if revision is None:  # a page that does not number its edits: take them in order
            return True
        page = revision["page"]
        # Trait updates arrive in order; only a request can overtake them, bringing a newer
        # edit. (Comparing with the newest edit of all would drop every edit of a second
        # browser tab whose count runs behind.)
        if page <= self._request_page:
            return False
        self._page_seen = max(self._page_seen, page)
        if by_request:
            self._request_page = page
        # Made on a document Python has replaced since: the replacement, already on its way
        # to the page, wins (the page drops its edit when it draws the replacement).
        return revision["python"] >= self._python_rev

    def _take_page_graph(self, doc: Any) -> None:
        try:
            graph = Graph.from_dict(doc)
        except GraphError as error:
            # A malformed document is refused: the page is sent the last good one back, as a
            # replacement (a copy, so that it is not taken for the page's own graph).
            self.error = str(error)
            self._page_graph = None
            self.graph = self._current
            return
        self.error = ""
        self._page_graph = graph
        self.graph = graph

    def _take_request_graph(self, request: protocol.Request) -> bool:
        """Take the document a request brings; False when it was made on a replaced one."""
        if "graph" not in request:
            return True
        revision = protocol.parse_revision(request.get("revision"))
        if revision is not None and revision["python"] < self._python_rev:
            return False
        if self._page_edit_is_current(revision, by_request=True):
            self._take_page_graph(request["graph"])
        return True

    # -- requests from the page --------------------------------------------------------------

    def _on_message(self, _widget: Any, content: Any, _buffers: list[bytes]) -> None:
        try:
            request = protocol.parse_request(content)
        except protocol.ProtocolError as error:
            if isinstance(content, dict) and isinstance(content.get("id"), int):
                self.send(protocol.make_reply(content, error=str(error)))
            return
        handler = getattr(self, f"_request_{request['type']}")
        current = self._take_request_graph(request)
        if not current and request["type"] != "save_json":
            self.send(protocol.make_reply(request, error=STALE_REQUEST))
            return
        try:
            result = handler(request)
        except (GraphError, KeyError, ValueError, TypeError) as error:
            message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
            self.send(protocol.make_reply(request, error=str(message)))
            return
        self.send(protocol.make_reply(request, result=result))

    def _request_apply_template(self, request: protocol.ApplyTemplateRequest) -> None:
        self.graph = examples.load(request["name"])

    def _request_load_json(self, request: protocol.LoadJsonRequest) -> None:
        self.graph = Graph.from_json(request["text"])

    def _request_save_json(self, _request: protocol.SaveJsonRequest) -> dict[str, str]:
        graph = self._current
        title = graph.metadata.get("title", "model")
        stem = "".join(c if c.isalnum() else "_" for c in title.lower()).strip("_") or "model"
        return {"text": graph.to_json() + "\n", "filename": f"{stem}.json"}

    def _request_apply_fix(self, request: protocol.ApplyFixRequest) -> None:
        self.graph = apply_fix(self._current, request["fix"])

    def _request_group_block(self, request: protocol.GroupBlockRequest) -> dict[str, str]:
        graph = self._current.copy()
        node_id = graph.group(request["ids"], request["name"])
        self.graph = graph
        self.selection = [node_id]
        return {"node_id": node_id}

    def _request_ungroup_block(self, request: protocol.UngroupBlockRequest) -> dict[str, list]:
        graph = self._current.copy()
        try:
            ids = graph.ungroup(request["node_id"])
        except KeyError:
            raise KeyError(
                f"There is no node {request['node_id']!r} to ungroup any more; it was removed."
            ) from None
        self.graph = graph
        self.selection = ids
        return {"ids": ids}


def apply_fix(graph: Graph, fix: dict[str, Any]) -> Graph:
    """A copy of ``graph`` with a Problem's ``fix`` applied (``None`` removes a parameter).

    Example:
        >>> g = Graph(); g.add("Linear", id="fc", in_features=5)
        'fc'
        >>> apply_fix(g, {"node_id": "fc", "params": {"in_features": None}}).node("fc").params
        {}
    """
    node_id, params = fix.get("node_id"), fix.get("params")
    if not isinstance(node_id, str) or not isinstance(params, dict):
        raise ValueError("A fix names a node_id and the params to change.")
    fixed = graph.copy()
    try:
        node = fixed.node(node_id)
    except KeyError:
        raise KeyError(f"There is no node {node_id!r} to fix any more; it was removed.") from None
    for name, value in params.items():
        if value is None:
            node.params.pop(name, None)
        else:
            node.params[name] = value
    return fixed
