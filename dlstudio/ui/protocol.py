"""The message protocol between the ModelBuilder widget and its page.

Mirror of ``widgets/src/protocol.ts``: ``tests/ui/test_protocol.py`` parses both and fails
when a trait, request type or field exists on one side only. State lives in synced traits
(``TRAIT_NAMES``); one-off requests arrive as custom messages carrying an ``id`` and are
answered with a ``Reply`` carrying the same id.

The graph travels both ways, so every document carries a ``GraphRevision`` beside it (the
``graph_revision`` trait, never inside the saved document): the page numbers its edits, Python
numbers the documents it puts in place itself. See docs/architecture.md, "Graph sync".

Example:
    >>> parse_request({"type": "save_json", "id": 3})
    {'type': 'save_json', 'id': 3}
    >>> make_reply({"type": "save_json", "id": 3}, result={"text": "{}"})["ok"]
    True
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict, get_type_hints

TRAIT_NAMES = (
    "graph",
    "graph_revision",
    "selection",
    "catalog",
    "templates",
    "shapes",
    "problems",
    "code",
    "param_count",
    "block_params",
    "error",
    "health",
    "health_notes",
)
HEALTH_STATES = ("ok", "warn", "bad")

REQUEST_TYPES = (
    "apply_template",
    "load_json",
    "save_json",
    "apply_fix",
    "group_block",
    "ungroup_block",
)
REPLY_TYPE = "reply"


class GraphRevision(TypedDict):
    """Where a graph document stands in the page <-> Python traffic.

    ``page``: the page's edit counter; the last page edit the document includes.
    ``python``: how many times Python has put a document in place itself (an assignment, a
    template, a fix, a refused edit); a page edit names the one it was made on.
    """

    page: int
    python: int


class PageGraph(TypedDict, total=False):
    """What a request that works on the current graph may bring: the page's document and its
    revision. Custom messages overtake the trait updates ipywidgets still holds back, so the
    request carries the document it was made on."""

    graph: dict[str, Any]
    revision: GraphRevision


class Fix(TypedDict):
    node_id: str
    params: dict[str, Any]


class ApplyTemplateRequest(TypedDict):
    type: Literal["apply_template"]
    id: int
    name: str


class LoadJsonRequest(TypedDict):
    type: Literal["load_json"]
    id: int
    text: str


class SaveJsonRequest(PageGraph):
    type: Literal["save_json"]
    id: int


class ApplyFixRequest(PageGraph):
    type: Literal["apply_fix"]
    id: int
    fix: Fix


class GroupBlockRequest(PageGraph):
    """Turn the layers ``ids`` into a named block ``name`` used by one new node."""

    type: Literal["group_block"]
    id: int
    ids: list[str]
    name: str


class UngroupBlockRequest(PageGraph):
    """Put the layers of the block node ``node_id`` back into the graph."""

    type: Literal["ungroup_block"]
    id: int
    node_id: str


Request = (
    ApplyTemplateRequest
    | LoadJsonRequest
    | SaveJsonRequest
    | ApplyFixRequest
    | GroupBlockRequest
    | UngroupBlockRequest
)

REQUEST_CLASSES: dict[str, type] = {
    "apply_template": ApplyTemplateRequest,
    "load_json": LoadJsonRequest,
    "save_json": SaveJsonRequest,
    "apply_fix": ApplyFixRequest,
    "group_block": GroupBlockRequest,
    "ungroup_block": UngroupBlockRequest,
}


class Reply(TypedDict):
    type: Literal["reply"]
    id: int
    request: str
    ok: bool
    error: str | None
    result: Any


class ProtocolError(ValueError):
    """A message from the page that does not follow the protocol."""


# Only the shapes of the JSON are checked here; what a field means is the widget's business.
_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "id": int,
    "name": str,
    "text": str,
    "fix": dict,
    "ids": list,
    "node_id": str,
    "graph": dict,
    "revision": dict,
}
# Requests that work on the current graph: they may bring the page's document along.
GRAPH_REQUESTS = ("save_json", "apply_fix", "group_block", "ungroup_block")


def parse_request(message: Any) -> Request:
    """Check a custom message from the page and return it as a typed request.

    Raises ProtocolError naming what is wrong (unknown type, missing or mistyped field).
    """
    if not isinstance(message, dict):
        raise ProtocolError("A request must be a JSON object.")
    kind = message.get("type")
    if kind not in REQUEST_CLASSES:
        raise ProtocolError(f"Unknown request type {kind!r}; expected one of {REQUEST_TYPES}.")
    cls = REQUEST_CLASSES[kind]
    fields = get_type_hints(cls)
    for name in fields:
        if name == "type":
            continue
        if name not in message:
            if name not in cls.__required_keys__:
                continue
            raise ProtocolError(f"The {kind} request lacks its {name!r} field.")
        value = message[name]
        expected = _FIELD_TYPES[name]
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ProtocolError(f"The {kind} request's {name!r} field has the wrong type.")
        # Lists in requests are lists of node ids.
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise ProtocolError(f"The {kind} request's {name!r} field must list strings.")
    extra = set(message) - set(fields)
    if extra:
        raise ProtocolError(f"The {kind} request has unexpected fields: {sorted(extra)}.")
    return message  # type: ignore[return-value]


def parse_revision(value: Any) -> GraphRevision | None:
    """A ``GraphRevision`` from the page, or None when ``value`` is not one.

    Example:
        >>> parse_revision({"page": 3, "python": 1})
        {'page': 3, 'python': 1}
        >>> parse_revision({"page": "3"}) is None
        True
    """
    if not isinstance(value, dict) or set(value) != {"page", "python"}:
        return None
    if not all(type(value[key]) is int and value[key] >= 0 for key in ("page", "python")):
        return None
    return {"page": value["page"], "python": value["python"]}


def make_reply(request: dict[str, Any], *, result: Any = None, error: str | None = None) -> Reply:
    """The answer to ``request``: ``ok`` unless ``error`` (a sentence for the learner) is given."""
    return {
        "type": REPLY_TYPE,
        "id": int(request.get("id", -1)) if isinstance(request.get("id"), int) else -1,
        "request": str(request.get("type", "")),
        "ok": error is None,
        "error": error,
        "result": result,
    }
