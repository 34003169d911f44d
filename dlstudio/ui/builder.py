"""``ModelBuilder``: the visual model editor widget (anywidget + React Flow).

The page edits the graph document; Python is the one source of truth for the document, its
shapes, problems and code. The page sends each edit as an ``edit`` request; Python checks it
with the core, takes or refuses it, and writes the document to the ``graph`` trait (the only
writer of it) with ``graph_revision`` saying which page edit it answers. The analysis goes back
as the ``shapes``, ``problems``, ``code`` and ``param_count`` traits, so a saved notebook
redraws without a kernel. Other requests (templates, JSON files, fixes, blocks) are answered
with a reply naming the view and id that asked (see ``protocol.py``, and docs/architecture.md,
"Graph sync").
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

import anywidget
import traitlets
from ipywidgets import widget_serialization
from ipywidgets.widgets.widget import _remove_buffers
from torch import nn

from dlstudio.graph import Graph, GraphError, editing, editor_requests, examples, layers
from dlstudio.graph.editor_state import NO_CODE, analysis_state, code_state, framework_codes
from dlstudio.ui import protocol
from dlstudio.ui._bundle import LOADER_ESM, BundleHost, shared_host
from dlstudio.ui.page_writes import PageWritable

log = logging.getLogger(__name__)

ChangeCallback = Callable[[Graph], Any]


# The requests that carry an edit (the whole document, or what changed): answered by
# ``graph_revision``, not by a reply.
EDITS = ("edit", "patch")

STALE_REQUEST = (
    "The model was replaced from Python (a template, new data or an assignment) before this "
    "arrived, so nothing was changed; look at the new model and try again."
)


def starter_graph() -> Graph:
    """An empty canvas: one Input node (``examples.starter``)."""
    return examples.starter()


def _as_graph(source: Graph | str | dict | None) -> Graph:
    if source is None:
        return starter_graph()
    if isinstance(source, Graph):
        return source.copy()
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


class GraphTrait(traitlets.Instance):
    """A Graph synced as its JSON document.

    Reading gives a copy and assigning stores a copy, so ``g = b.graph; g.add(...);
    b.graph = g`` is seen as a change, and nothing the user holds changes under them.
    """

    def __init__(self) -> None:
        super().__init__(Graph, allow_none=False)

    def get(self, obj: Any, cls: Any = None) -> Any:
        value = super().get(obj, cls)
        # Serialising lends the graph to ``to_dict``, which copies what it reads anyway.
        lent = getattr(obj, "_lending", False)
        if getattr(obj, "_lend_once", False):
            obj._lend_once, lent = False, True
        return value.copy() if isinstance(value, Graph) and not lent else value

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
        assert isinstance(graph, Graph)  # allow_none=False: Instance refuses None before this
        # A graph the widget itself just made is no one else's: storing it needs no copy.
        fresh = graph is getattr(obj, "_adopting", None)
        return graph if fresh else graph.copy()


# Traits this widget fills with plain JSON only (no bytes, no widgets): nothing in them to
# take out as a binary buffer.
_PLAIN_JSON = (
    "graph", "graph_revision", "shapes", "problems", "code", "code_keras", "code_flax",
    "block_params",
)  # fmt: skip


def _graph_to_json(graph: Graph, _widget: Any) -> dict[str, Any]:
    return graph.to_dict()


class _Answer(NamedTuple):
    """The page edit that the next document Python writes answers."""

    view: str
    edit: int
    base: int
    refused: bool


class ModelBuilder(PageWritable, anywidget.AnyWidget):
    """Drag layers onto a canvas, connect them, and get plain PyTorch.

    Example:
        >>> b = ModelBuilder("mlp")          # or ModelBuilder(), ModelBuilder(graph)
        >>> b.graph.param_count() > 0
        True
        >>> model = b.build()                # runs exactly the source shown in b.code
    """

    _esm = LOADER_ESM
    page_writable = frozenset({"selection"})  # edits come as checked requests, not state
    _bundle = traitlets.Instance(BundleHost).tag(sync=True, **widget_serialization)

    graph = GraphTrait().tag(sync=True, to_json=_graph_to_json)
    """The model; only Python writes it, the page sends its edits as requests."""
    graph_revision = traitlets.Dict().tag(sync=True)
    """Which document ``graph`` is and which page edit it answers (``protocol.GraphRevision``);
    written after ``graph``, so a page that reads both on its change sees them together."""
    selection = traitlets.List(traitlets.Unicode()).tag(sync=True, echo_update=False)
    catalog: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    categories = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """The palette's category order (``layers.CATEGORIES``); others come after, in turn."""
    templates = traitlets.List(traitlets.Unicode()).tag(sync=True)
    shapes = traitlets.Dict().tag(sync=True)
    problems: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    code = traitlets.Unicode(NO_CODE).tag(sync=True)
    code_keras = traitlets.Unicode(NO_CODE).tag(sync=True)
    """The same model in Keras 3 (the code panel's framework switch)."""
    code_flax = traitlets.Unicode(NO_CODE).tag(sync=True)
    """The same model in Flax NNX."""
    param_count = traitlets.Int(0).tag(sync=True)
    block_params = traitlets.Dict().tag(sync=True)
    """Parameter count of each node that uses a named block (drawn on the collapsed node)."""
    error = traitlets.Unicode("").tag(sync=True)
    health = traitlets.Dict(traitlets.Unicode()).tag(sync=True)
    """Training health of each layer node, ``{node_id: "ok" | "warn" | "bad"}`` (node badges)."""
    health_notes = traitlets.Dict(traitlets.Unicode()).tag(sync=True)
    """The diagnoses behind a badge, in words (shown as the badge's tooltip)."""

    def __init__(self, graph: Graph | str | dict | None = None, **kwargs: Any) -> None:
        self._callbacks: list[ChangeCallback] = []
        self._structure = ""
        self._answering: _Answer | None = None
        self._adopting: Graph | None = None
        # (view, base) while every revision after ``base`` is an edit of that one view: its
        # next edits, sent before the answers arrived, build on those and are taken.
        self._run: tuple[str, int] | None = None
        self._lending = False
        self._lend_once = False
        # While an edit is answered, the code and the callbacks wait until the document, its
        # revision and its shapes have left (``_code_after``).
        self._code_waits = False
        self._code_due = False
        self._adopting = _as_graph(graph)
        super().__init__(
            graph=self._adopting,
            _bundle=shared_host("builder"),
            catalog=layers.catalog(),
            categories=list(layers.CATEGORIES),
            templates=examples.names(),
            **kwargs,
        )
        self._adopting = None
        self.on_msg(self._on_message)

    @classmethod
    def from_module(
        cls, module: nn.Module, example_input: Any, *, blocks: str = "auto", **kwargs: Any
    ) -> ModelBuilder:
        """A builder holding an existing model, traced by ``Graph.from_module``.

        Example:
            >>> import torch, torchvision
            >>> b = ModelBuilder.from_module(torchvision.models.resnet18(), torch.randn(1, 3, 64, 64))
            >>> b.graph.node("layer1.0").op
            'BasicBlock'
        """
        return cls(Graph.from_module(module, example_input, blocks=blocks), **kwargs)

    @traitlets.default("graph_revision")
    def _first_revision(self) -> dict[str, Any]:
        return {"number": 0, "view": "", "edit": 0, "refused": False}

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

    # -- keeping the revision and the answer in step with the graph -------------------------

    @traitlets.observe("graph")
    def _graph_changed(self, _change: dict[str, Any]) -> None:
        self._revise()
        self._analyse()

    def _revise(self) -> None:
        """Number the document just written, naming the page edit it answers, if any."""
        answer, self._answering = self._answering, None
        if answer is None or answer.refused:
            self._run = None
        elif self._run is None or self._run[0] != answer.view:
            self._run = (answer.view, answer.base)
        self.graph_revision = {
            "number": self.graph_revision["number"] + 1,
            "view": answer.view if answer else "",
            "edit": answer.edit if answer else 0,
            "refused": answer.refused if answer else False,
        }

    def _analyse(self) -> None:
        graph = self._current
        # The stored graph never changes in place: its structure key, computed once here, also
        # serves the analysis and the code of this edit (``_write_code``).
        with graph._unchanging() as structure:
            if structure == self._structure:
                return
            self._structure = structure
            state = analysis_state(graph)
        with self.hold_sync():
            for name, value in state.items():
                setattr(self, name, value)
            if self.health:  # the badges described the model before this edit
                self.health, self.health_notes = {}, {}
            if not self._code_waits:
                self._write_code()
        if self._code_waits:
            self._code_due = True
        else:
            self._notify()

    def _write_code(self) -> None:
        graph = self._current
        with graph._unchanging(self._structure), self.hold_sync():  # analysed by ``_analyse``
            self.code = code_state(graph)
            for name, value in framework_codes(graph).items():
                setattr(self, name, value)

    def _notify(self) -> None:
        graph = self._current
        for callback in list(self._callbacks):
            try:
                callback(graph.copy())
            except Exception:  # a learner's callback must not break the editor
                log.exception("A ModelBuilder on_change callback failed")

    @contextmanager
    def _code_after(self) -> Iterator[None]:
        """Writes the code, then tells the callbacks (which may read it), after the block.

        Generating the code of a 1,000-layer model takes about as long as analysing it: the
        page draws an edit's answer and its shapes without waiting for it.
        """
        self._code_waits = True
        try:
            yield
        finally:
            self._code_waits = False
            if self._code_due:
                self._code_due = False
                self._write_code()
                self._notify()

    def send_state(self, key: str | Iterable[str] | None = None) -> None:
        # ipywidgets' send_state, but the traits Python fills with plain JSON are not searched
        # for binary buffers (at 1,000 nodes the search cost more than reading the edit).
        # Serialising reads the graph trait: a copy of it would only be thrown away.
        self._lending = True
        try:
            state = self.get_state(key=key)
        finally:
            self._lending = False
        if not state:
            return
        if self._property_lock:  # as ipywidgets: keep the lock up to date with what is sent
            for name, value in state.items():
                if name in self._property_lock:
                    self._property_lock[name] = value
        plain = {name: state.pop(name) for name in _PLAIN_JSON if name in state}
        state, buffer_paths, buffers = _remove_buffers(state)
        state.update(plain)
        self._send({"method": "update", "state": state, "buffer_paths": buffer_paths}, buffers)

    def notify_change(self, change: Any) -> None:
        # ipywidgets reads the trait once to decide whether to send it: lend it the stored
        # graph for that read, instead of a copy that would only be thrown away.
        comm = self.comm
        self._lend_once = (
            change["name"] == "graph"
            and comm is not None
            and getattr(comm, "kernel", True) is not None
            and "graph" in self.keys
        )
        try:
            super().notify_change(change)
        finally:
            self._lend_once = False

    # -- the page's edits (docs/architecture.md, "Graph sync") -------------------------------

    def _made_on_current(self, view: str, base: int) -> bool:
        """Whether a request of ``view`` made on revision ``base`` builds on the graph held now:
        nothing has changed it since, or only that view's own earlier edits."""
        number = self.graph_revision["number"]
        if base == number:
            return True
        return self._run is not None and self._run[0] == view and self._run[1] <= base < number

    def _request_edit(self, request: protocol.EditRequest) -> None:
        self._take_edit(request, editor_requests.edit)

    def _request_patch(self, request: protocol.PatchRequest) -> None:
        # What changed since the document this view last sent or drew, which Python holds
        # while the edit is made on the current graph: applied to it, read as strictly.
        self._take_edit(request, editor_requests.patch)

    def _take_edit(
        self,
        request: protocol.EditRequest | protocol.PatchRequest,
        read: editor_requests.Answer,
    ) -> None:
        view, edit, base = request["view"], request["id"], request["base"]
        if not self._made_on_current(view, base):
            # Made on a document Python has replaced since: the replacement, already on its way
            # to the page, wins there too. The graph is unchanged, so only the answer goes.
            self.graph_revision = {
                **self.graph_revision,
                "view": view,
                "edit": edit,
                "refused": True,
            }
            return
        try:
            graph = read(self._current, request).graph
        except GraphError as error:
            # Refused: the last good document goes back as a new revision, so the page draws
            # it and every edit it sent on top of the refused one is refused too.
            self.error = str(error)
            self._write(self._current.copy(), _Answer(view, edit, base, refused=True))
            return
        assert graph is not None  # an edit always gives the new document
        self.error = ""
        self._write(graph, _Answer(view, edit, base, refused=False))

    def _write(self, graph: Graph, answer: _Answer) -> None:
        self._answering = answer
        try:
            self._adopt(graph)
        finally:
            self._answering = None

    def _adopt(self, graph: Graph) -> None:
        """Store a graph this widget just made (no one else holds it) without copying it."""
        self._adopting = graph
        try:
            self.graph = graph
        finally:
            self._adopting = None

    # -- requests from the page --------------------------------------------------------------

    def _on_message(self, _widget: Any, content: Any, _buffers: list[bytes]) -> None:
        try:
            request = protocol.parse_request(content)
        except protocol.ProtocolError as error:
            if isinstance(content, dict) and isinstance(content.get("id"), int):
                self.send(protocol.make_reply(content, error=str(error)))
            return
        if request["type"] in EDITS:
            # One message takes the document, its revision and its shapes and problems to the
            # page; the code follows in a second one.
            with self._code_after(), self.hold_sync():
                getattr(self, f"_request_{request['type']}")(request)  # answered by graph_revision
            return
        base = request.get("base")
        if (
            isinstance(base, int)
            and request["type"] != "save_json"  # saves what Python holds, as the page will
            and not self._made_on_current(request["view"], base)
        ):
            self.send(protocol.make_reply(request, error=STALE_REQUEST))
            return
        handler = getattr(self, f"_request_{request['type']}")
        try:
            result = handler(request)
        except editor_requests.REFUSALS as error:
            self.send(protocol.make_reply(request, error=editor_requests.sentence(error)))
            return
        self.send(protocol.make_reply(request, result=result))

    # Each request is answered by the core (``editor_requests``, shared with the server
    # extension); a subclass may override one (the Studio fits templates to its data).

    def _request_apply_template(self, request: protocol.ApplyTemplateRequest) -> None:
        self._take(editor_requests.apply_template(self._current, request))

    def _request_load_json(self, request: protocol.LoadJsonRequest) -> None:
        self._take(editor_requests.load_json(self._current, request))

    def _request_save_json(self, request: protocol.SaveJsonRequest) -> dict[str, Any] | None:
        return self._take(editor_requests.save_json(self._current, request))

    def _request_apply_fix(self, request: protocol.ApplyFixRequest) -> None:
        self._take(editor_requests.apply_fix(self._current, request))

    def _request_group_block(self, request: protocol.GroupBlockRequest) -> dict[str, Any] | None:
        return self._take(editor_requests.group_block(self._current, request))

    def _request_ungroup_block(
        self, request: protocol.UngroupBlockRequest
    ) -> dict[str, Any] | None:
        return self._take(editor_requests.ungroup_block(self._current, request))

    def _take(self, outcome: editor_requests.Outcome) -> dict[str, Any] | None:
        """Store the outcome's new graph (made by the core for this widget) and selection;
        returns what the reply carries."""
        if outcome.graph is not None:
            self._adopt(outcome.graph)
        if outcome.selection is not None:
            self.selection = outcome.selection
        return outcome.result


_MOVED = {
    "apply_fix": ("dlstudio.graph.editing.apply_fix", editing.apply_fix),
    "clone_graph": ("Graph.copy()", Graph.copy),
}


def __getattr__(name: str) -> Any:
    # Graph operations moved to the core; the old names work for one more release.
    if name in _MOVED:
        new, value = _MOVED[name]
        warnings.warn(
            f"dlstudio.ui.builder.{name} moved: use {new} (the old name goes in the next release).",
            DeprecationWarning,
            stacklevel=2,
        )
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
