"""The message protocol between the ModelBuilder widget and its page.

Mirror of ``widgets/src/protocol.ts``: ``tests/ui/test_protocol.py`` parses both and fails
when a trait, request type or field exists on one side only. State lives in synced traits
(``TRAIT_NAMES``); one-off requests arrive as custom messages carrying an ``id`` and are
answered with a ``Reply`` carrying the same id.

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


class SaveJsonRequest(TypedDict):
    type: Literal["save_json"]
    id: int


class ApplyFixRequest(TypedDict):
    type: Literal["apply_fix"]
    id: int
    fix: Fix


class GroupBlockRequest(TypedDict):
    """Turn the layers ``ids`` into a named block ``name`` used by one new node."""

    type: Literal["group_block"]
    id: int
    ids: list[str]
    name: str


class UngroupBlockRequest(TypedDict):
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
}


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
