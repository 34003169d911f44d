"""The message protocol between the dlstudio widgets and their page.

Mirror of ``widgets/src/protocol.ts``: ``tests/ui/test_protocol.py`` parses both and fails
when a trait, request type or field exists on one side only. State lives in synced traits
(``TRAIT_NAMES``); the page's requests arrive as custom messages.

The ModelBuilder's graph has one writer per direction (docs/architecture.md, "Graph sync"):
only Python writes the ``graph`` trait, and ``graph_revision`` beside it says which revision it
is and which page edit it answers; the page sends its edits as ``edit`` requests. Every request
names the view that sent it and an id counted in that view; Python answers requests other than
edits with a ``Reply`` naming the same view and id (replies reach every view; each keeps its own).

Example:
    >>> parse_request({"type": "save_json", "view": "a1", "id": 3, "base": 0})
    {'type': 'save_json', 'view': 'a1', 'id': 3, 'base': 0}
    >>> make_reply({"type": "save_json", "view": "a1", "id": 3}, result={"text": "{}"})["ok"]
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, TypedDict, get_type_hints

# -- The ModelBuilder: dlstudio/ui/builder.py <-> widgets/src/editor/ --------------------------

TRAIT_NAMES = (
    "graph",
    "graph_revision",
    "selection",
    "catalog",
    "categories",
    "templates",
    "shapes",
    "problems",
    "code",
    "code_keras",
    "code_flax",
    "param_count",
    "block_params",
    "error",
    "health",
    "health_notes",
)
HEALTH_STATES = ("ok", "warn", "bad")

REQUEST_TYPES = (
    "edit",
    "patch",
    "apply_template",
    "load_json",
    "save_json",
    "apply_fix",
    "group_block",
    "ungroup_block",
)
REPLY_TYPE: Final = "reply"


class GraphRevision(TypedDict):
    """Which document the ``graph`` trait holds, and why (the ``graph_revision`` trait).

    ``number``: counts the documents Python has put in the trait. ``view`` and ``edit``: the
    page edit this document answers (``""`` and 0 when Python wrote it of its own accord: an
    assignment, a template, a fix). ``refused``: that edit was not taken, and the page goes back
    to ``graph``.
    """

    number: int
    view: str
    edit: int
    refused: bool


class Addressed(TypedDict):
    """What every request carries: the view that sent it, and its id in that view."""

    view: str
    id: int


class OnDocument(Addressed):
    """A request made on the page's document: ``base`` is the revision the canvas builds on.

    Python takes it only while no other writer has changed the graph since (see
    ``ModelBuilder``): edits of one view in a row build on each other."""

    base: int


class Fix(TypedDict):
    node_id: str
    params: dict[str, Any]


class EditRequest(OnDocument):
    """The page's document after an edit; answered by ``graph_revision``, not by a reply."""

    type: Literal["edit"]
    graph: dict[str, Any]


class PatchRequest(OnDocument):
    """An edit sent as what changed since the document the page last sent or drew (``base``):
    ``Graph.patched`` applies it to the graph held now (see ``document.apply_patch``); it is
    taken, refused and answered exactly as an ``EditRequest``."""

    type: Literal["patch"]
    patch: dict[str, Any]


class ApplyTemplateRequest(Addressed):
    type: Literal["apply_template"]
    name: str


class LoadJsonRequest(Addressed):
    type: Literal["load_json"]
    text: str


class SaveJsonRequest(OnDocument):
    type: Literal["save_json"]


class ApplyFixRequest(OnDocument):
    type: Literal["apply_fix"]
    fix: Fix


class GroupBlockRequest(OnDocument):
    """Turn the layers ``ids`` into a named block ``name`` used by one new node."""

    type: Literal["group_block"]
    ids: list[str]
    name: str


class UngroupBlockRequest(OnDocument):
    """Put the layers of the block node ``node_id`` back into the graph."""

    type: Literal["ungroup_block"]
    node_id: str


Request = (
    EditRequest
    | PatchRequest
    | ApplyTemplateRequest
    | LoadJsonRequest
    | SaveJsonRequest
    | ApplyFixRequest
    | GroupBlockRequest
    | UngroupBlockRequest
)

REQUEST_CLASSES: dict[str, type] = {
    "edit": EditRequest,
    "patch": PatchRequest,
    "apply_template": ApplyTemplateRequest,
    "load_json": LoadJsonRequest,
    "save_json": SaveJsonRequest,
    "apply_fix": ApplyFixRequest,
    "group_block": GroupBlockRequest,
    "ungroup_block": UngroupBlockRequest,
}
# Requests made on the page's document: they carry its ``base`` revision.
GRAPH_REQUESTS = ("edit", "patch", "save_json", "apply_fix", "group_block", "ungroup_block")


class Reply(TypedDict):
    type: Literal["reply"]
    view: str
    id: int
    request: str
    ok: bool
    error: str | None
    result: Any


class ProtocolError(ValueError):
    """A message from the page that does not follow the protocol."""


# Only the shapes of the JSON are checked here; what a field means is the widget's business.
_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "view": str,
    "id": int,
    "base": int,
    "name": str,
    "text": str,
    "fix": dict,
    "ids": list,
    "node_id": str,
    "graph": dict,
    "patch": dict,
}
# A view id is a short random word; anything longer is not from our page.
MAX_VIEW_LENGTH = 64


def parse_request(message: Any) -> Request:
    """Check a custom message from the page and return it as a typed request.

    Raises ProtocolError naming what is wrong (unknown type, missing or mistyped field).
    """
    if not isinstance(message, dict):
        raise ProtocolError("A request must be a JSON object.")
    kind = message.get("type")
    if kind not in REQUEST_CLASSES:
        raise ProtocolError(f"Unknown request type {kind!r}; expected one of {REQUEST_TYPES}.")
    fields = get_type_hints(REQUEST_CLASSES[kind])
    for name in fields:
        if name == "type":
            continue
        if name not in message:
            raise ProtocolError(f"The {kind} request lacks its {name!r} field.")
        _check_field(kind, name, message[name])
    extra = set(message) - set(fields)
    if extra:
        raise ProtocolError(f"The {kind} request has unexpected fields: {sorted(extra)}.")
    return message  # type: ignore[return-value]


def _check_field(kind: str, name: str, value: Any) -> None:
    expected = _FIELD_TYPES[name]
    if not isinstance(value, expected) or isinstance(value, bool):
        raise ProtocolError(f"The {kind} request's {name!r} field has the wrong type.")
    # Lists in requests are lists of node ids.
    if isinstance(value, list) and not all(isinstance(item, str) for item in value):
        raise ProtocolError(f"The {kind} request's {name!r} field must list strings.")
    if name == "view" and isinstance(value, str) and not 0 < len(value) <= MAX_VIEW_LENGTH:
        raise ProtocolError(f"The {kind} request's view id must be 1 to {MAX_VIEW_LENGTH} long.")


def make_reply(
    request: Mapping[str, object], *, result: Any = None, error: str | None = None
) -> Reply:
    """The answer to ``request``: ``ok`` unless ``error`` (a sentence for the learner) is given.

    It names the request's view and id, so that only the view that asked takes it.
    """
    view, ident = request.get("view"), request.get("id")
    return {
        "type": REPLY_TYPE,
        "view": view if isinstance(view, str) else "",
        "id": ident if isinstance(ident, int) and not isinstance(ident, bool) else -1,
        "request": str(request.get("type", "")),
        "ok": error is None,
        "error": error,
        "result": result,
    }


# -- The server extension: dlstudio/server <-> src/lab/ ----------------------------------------
# A graph-document editor in JupyterLab has no kernel: its adapter holds the document and sends
# each request its page makes, with that document, to ``POST dlstudio/editor``, which answers it
# with the code the ModelBuilder uses (``dlstudio.graph.editor_requests``).


class CatalogAnswer(TypedDict):
    """The answer of ``GET dlstudio/catalog``: what the palette offers (as the builder's traits
    of the same names), and the document a new graph document starts from."""

    catalog: list[dict[str, Any]]
    categories: list[str]
    templates: list[str]
    starter: dict[str, Any]


class EditorCall(TypedDict):
    """The body of ``POST dlstudio/editor``: the document held and one request made on it."""

    graph: dict[str, Any]
    request: Request


class EditorAnswer(TypedDict):
    """The answer of ``POST dlstudio/editor``.

    ``ok``/``error``: whether the request was taken, else the learner's sentence; ``result``:
    what the widget's reply carries (None for edits); ``graph``: the document now held (None
    when unchanged, a refused edit included); ``selection``: nodes to select (None: keep it);
    the rest: the analysis and code of the document held after the request, as the traits.
    """

    ok: bool
    error: str | None
    result: Any
    graph: dict[str, Any] | None
    selection: list[str] | None
    shapes: dict[str, list[int | None] | None]
    problems: list[dict[str, Any]]
    param_count: int
    block_params: dict[str, int]
    code: str
    code_keras: str
    code_flax: str


class TutorialsAnswer(TypedDict):
    """The answer of ``POST dlstudio/tutorials`` (body ``{}`` or ``{"folder": name}``): paths
    relative to the server's root, the notebooks in the series' order."""

    folder: str
    notebooks: list[str]
    copied: list[str]


# -- The Playground: dlstudio/ui/playground.py <-> widgets/src/playground/ ---------------------
# docs/playground-protocol.md. Only Python writes the traits; the page sends plain requests
# ``{type, ...}`` (nothing is answered but by the traits; a refused request sets ``error``).

PLAYGROUND_TRAIT_NAMES = (
    "settings",
    "hidden",
    "share",
    "url_state",
    "options",
    "thumbnails",
    "points",
    "network",
    "maps",
    "map_size",
    "focus",
    "big_map",
    "big_size",
    "epoch",
    "loss_train",
    "loss_test",
    "history",
    "playing",
    "frame",
    "code",
    "error",
    "status",
    "can_open_builder",
)


class PlaygroundSetRequest(TypedDict):
    """Change one setting (any key of ``settings``; the core checks the value)."""

    type: Literal["set"]
    name: str
    value: Any


class PlaygroundPlayRequest(TypedDict):
    type: Literal["play"]


class PlaygroundPauseRequest(TypedDict):
    type: Literal["pause"]


class PlaygroundStepRequest(TypedDict):
    type: Literal["step"]


class PlaygroundResetRequest(TypedDict):
    type: Literal["reset"]


class PlaygroundRegenerateRequest(TypedDict):
    type: Literal["regenerate"]


class PlaygroundAddLayerRequest(TypedDict):
    type: Literal["add_layer"]


class PlaygroundRemoveLayerRequest(TypedDict):
    type: Literal["remove_layer"]


class PlaygroundAddNeuronRequest(TypedDict):
    type: Literal["add_neuron"]
    layer: int


class PlaygroundRemoveNeuronRequest(TypedDict):
    type: Literal["remove_neuron"]
    layer: int


# "from" is a Python keyword: the functional form names it.
PlaygroundSetWeightRequest = TypedDict(
    "PlaygroundSetWeightRequest",
    {"type": Literal["set_weight"], "layer": int, "to": int, "from": int, "value": float},
)


class PlaygroundSetBiasRequest(TypedDict):
    type: Literal["set_bias"]
    layer: int
    node: int
    value: float


class PlaygroundFocusRequest(TypedDict):
    type: Literal["focus"]
    node: str


class PlaygroundAddPointRequest(TypedDict):
    type: Literal["add_point"]
    x: float
    y: float
    label: float


class PlaygroundClearPointsRequest(TypedDict):
    type: Literal["clear_points"]


class PlaygroundLoadCsvRequest(TypedDict):
    type: Literal["load_csv"]
    name: str
    text: str


class PlaygroundHideRequest(TypedDict):
    type: Literal["hide"]
    control: str
    hidden: bool


class PlaygroundLoadShareRequest(TypedDict):
    type: Literal["load_share"]
    text: str


class PlaygroundOpenBuilderRequest(TypedDict):
    type: Literal["open_builder"]


PLAYGROUND_REQUEST_CLASSES: dict[str, type] = {
    "set": PlaygroundSetRequest,
    "play": PlaygroundPlayRequest,
    "pause": PlaygroundPauseRequest,
    "step": PlaygroundStepRequest,
    "reset": PlaygroundResetRequest,
    "regenerate": PlaygroundRegenerateRequest,
    "add_layer": PlaygroundAddLayerRequest,
    "remove_layer": PlaygroundRemoveLayerRequest,
    "add_neuron": PlaygroundAddNeuronRequest,
    "remove_neuron": PlaygroundRemoveNeuronRequest,
    "set_weight": PlaygroundSetWeightRequest,
    "set_bias": PlaygroundSetBiasRequest,
    "focus": PlaygroundFocusRequest,
    "add_point": PlaygroundAddPointRequest,
    "clear_points": PlaygroundClearPointsRequest,
    "load_csv": PlaygroundLoadCsvRequest,
    "hide": PlaygroundHideRequest,
    "load_share": PlaygroundLoadShareRequest,
    "open_builder": PlaygroundOpenBuilderRequest,
}
PLAYGROUND_REQUEST_TYPES = tuple(PLAYGROUND_REQUEST_CLASSES)


def parse_playground_request(message: Any) -> dict[str, Any]:
    """Check a Playground request's shape (type known, each field there with its JSON type, no
    other field); what the values mean the core checks.

    Example:
        >>> parse_playground_request({"type": "add_neuron", "layer": 1})
        {'type': 'add_neuron', 'layer': 1}
        >>> parse_playground_request({"type": "add_neuron", "layer": "1"})
        Traceback (most recent call last):
        ...
        dlstudio.ui.protocol.ProtocolError: The add_neuron request's 'layer' field has the wrong type.
    """
    if not isinstance(message, dict):
        raise ProtocolError("A request must be a JSON object.")
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in PLAYGROUND_REQUEST_CLASSES:
        shown = repr(kind) if isinstance(kind, str) and len(kind) <= 40 else "sent"
        raise ProtocolError(f"The Playground does not know the request {shown}.")
    fields = get_type_hints(PLAYGROUND_REQUEST_CLASSES[kind])
    extra = set(message) - set(fields)
    if extra:
        raise ProtocolError(f"The {kind} request has unexpected fields: {sorted(extra)}.")
    for name, expected in fields.items():
        if name == "type":
            continue
        if name not in message:
            raise ProtocolError(f"The {kind} request lacks its {name!r} field.")
        if not _json_type_fits(message[name], expected):
            raise ProtocolError(f"The {kind} request's {name!r} field has the wrong type.")
    return message


def _json_type_fits(value: Any, expected: Any) -> bool:
    if expected is Any:
        return True
    if expected is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if expected is float:
        return isinstance(value, int | float)
    return isinstance(value, expected)


# -- The loss plot: dlstudio/ui/live/loss_plot.py <-> widgets/src/plots/lossPlot.ts ------------
# State lives in synced traits (the bounded history in ``data``); new points travel as "points"
# messages between two syncs, and a view that just appeared says "hello" to get ``data``
# refreshed at once (a message sent before a view exists is lost).

LOSS_PLOT_TRAIT_NAMES = ("data", "log_scale", "smoothing", "title", "height")
LOSS_PLOT_MESSAGE_TYPES = ("points", "hello")
CurveKind = Literal["step", "epoch"]
"""Whether a curve has a point per training step or per epoch."""
CurvePanel = Literal["loss", "metric"]
"""Which panel draws a curve: losses above, metrics below."""


class PlotCurve(TypedDict):
    """One curve's points: ``x`` steps, ``y`` values (None where a value was not finite)."""

    x: list[float]
    y: list[float | None]
    kind: CurveKind
    panel: CurvePanel


class PlotCurves(TypedDict):
    """Curves as of message ``seq``: the ``data`` trait, and the body of a points message."""

    seq: int
    series: dict[str, PlotCurve]


class PointsMessage(PlotCurves):
    """Python -> page: the points added since message ``seq - 1``."""

    type: Literal["points"]


class HelloMessage(TypedDict):
    """Page -> Python: a view just appeared; Python syncs ``data`` at once."""

    type: Literal["hello"]


def points_message(seq: int, series: dict[str, PlotCurve]) -> PointsMessage:
    """The message that carries the points added since message ``seq - 1``.

    Example:
        >>> points_message(3, {})
        {'type': 'points', 'seq': 3, 'series': {}}
    """
    return {"type": "points", "seq": seq, "series": series}


def is_hello(message: Any) -> bool:
    """Whether a custom message from the page is a view's hello.

    Example:
        >>> is_hello({"type": "hello"}), is_hello("hello")
        (True, False)
    """
    return isinstance(message, dict) and message.get("type") == "hello"
