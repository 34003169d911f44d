"""Driving a ModelBuilder in a page the way a person does: mouse drags, clicks and typing.

Shared by the builder's browser tests and its benchmark (benchmarks/bench_builder.py).
"""

from __future__ import annotations

import inspect

from playwright.sync_api import Locator, Page, expect


class BuilderPage:
    """One ModelBuilder on a page (JupyterLab or Voila): the ``index``-th found inside ``scope``."""

    def __init__(self, page: Page, scope: Locator | Page | None = None, index: int = 0):
        self.page = page
        self.root = (scope or page).locator("[data-testid=model-builder]").nth(index)

    def wait_ready(self, timeout_ms: float = 90_000) -> BuilderPage:
        expect(self.root).to_be_visible(timeout=timeout_ms)
        expect(self.root.locator(".react-flow__node").first).to_be_visible(timeout=timeout_ms)
        # The whole widget in the viewport, so the mouse can reach every part of it.
        self.root.evaluate("el => el.scrollIntoView({block: 'start'})")
        return self

    def node(self, node_id: str) -> Locator:
        return self.root.locator(f".react-flow__node[data-id='{node_id}']")

    def shape(self, node_id: str) -> Locator:
        return self.root.get_by_test_id(f"node-shape-{node_id}")

    def error(self, node_id: str) -> Locator:
        return self.root.get_by_test_id(f"node-error-{node_id}")

    def param(self, name: str) -> Locator:
        return self.root.get_by_test_id(f"param-{name}")

    def button(self, name: str) -> Locator:
        return self.root.get_by_test_id(f"tb-{name}")

    @property
    def code(self) -> Locator:
        return self.root.get_by_test_id("code-panel")

    def drag_from_palette(self, op: str, x: float, y: float) -> None:
        """Drop ``op`` at (x, y), measured from the canvas's top-left corner."""
        item = self.root.get_by_test_id(f"palette-item-{op}")
        canvas = self.root.get_by_test_id("canvas")
        item.drag_to(canvas, target_position={"x": x, "y": y})

    def connect(self, source: str, target: str, port: int = 0) -> None:
        """Drag from ``source``'s output handle to ``target``'s input ``port``."""
        start = self._centre(self.root.get_by_test_id(f"handle-{source}-out"))
        end = self._centre(self.root.get_by_test_id(f"handle-{target}-in{port}"))
        mouse = self.page.mouse
        mouse.move(*start)
        mouse.down()
        mouse.move(*end, steps=15)
        mouse.up()

    def layout(self) -> None:
        """Press Layout and wait until the canvas has settled (the view fits the new layout a
        frame or two later: a drag started before would miss its handles)."""
        self.button("layout").click()
        self.wait_still()

    def wait_still(self, frames: int = 3) -> None:
        """Wait until the view and the nodes stay put for ``frames`` animation frames."""
        self.root.locator(".react-flow__viewport").evaluate(
            """(viewport, frames) => new Promise((resolve) => {
                const root = viewport.closest('.react-flow');
                const look = () => viewport.style.transform + [...root.querySelectorAll(
                    '.react-flow__node')].map((n) => n.style.transform).join();
                let last = look(), same = 0, left = 120;
                const tick = () => {
                    const now = look();
                    same = now === last ? same + 1 : 0;
                    last = now;
                    if (same >= frames || --left <= 0) resolve(); else requestAnimationFrame(tick);
                };
                requestAnimationFrame(tick);
            })""",
            frames,
        )

    def node_ids(self) -> list[str]:
        """The ids of the nodes on the canvas, sorted."""
        ids = self.root.locator(".react-flow__node").evaluate_all(
            "nodes => nodes.map((n) => n.dataset.id)"
        )
        return sorted(ids)

    def select(self, node_id: str) -> None:
        # Click the node's title, away from handles and buttons.
        self.node(node_id).locator(".dls-node-head").click()

    def select_many(self, node_ids: list[str]) -> None:
        """Click the first node, then Ctrl-click the others into the selection."""
        self.select(node_ids[0])
        for node_id in node_ids[1:]:
            self.node(node_id).locator(".dls-node-head").click(modifiers=["Control"])

    def group_selected(self, name: str) -> None:
        """Toolbar "Group as block", type the block's name, confirm."""
        self.button("group").click()
        self.root.get_by_test_id("group-name").fill(name)
        self.root.get_by_test_id("group-ok").click()

    def set_param(self, name: str, value: str) -> None:
        field = self.param(name)
        field.fill(value)

    def press(self, keys: str) -> None:
        """A shortcut with the focus inside the builder (after a click on the canvas)."""
        self.page.keyboard.press(keys)

    def _centre(self, locator: Locator) -> tuple[float, float]:
        locator.wait_for(state="visible")
        box = locator.bounding_box()
        assert box is not None, "the element has no box on the page"
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def flat_resnet() -> dict:
    """resnet_small with its residual blocks spelled out as layers, as a graph dict without
    positions (the page lays it out). A browser test's cell runs this very source."""
    from dlstudio.graph import examples

    graph = examples.load("resnet_small")
    for block in [n.id for n in graph.nodes if n.op in graph.blocks]:
        graph.ungroup(block)
    doc = graph.to_dict()
    doc["nodes"] = [{k: v for k, v in n.items() if k != "position"} for n in doc["nodes"]]
    return doc


FLAT_RESNET_CELL = inspect.getsource(flat_resnet) + "\nflat = flat_resnet()\n"

# The first residual block of flat resnet_small, in the order it is drawn.
BLOCK1 = [
    "block1_conv1",
    "block1_bn1",
    "block1_relu1",
    "block1_conv2",
    "block1_bn2",
    "block1_add",
    "block1_relu2",
]
