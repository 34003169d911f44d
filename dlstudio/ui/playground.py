"""``Playground``: TensorFlow Playground on a real PyTorch model, as a notebook widget.

A thin view over ``dlstudio.playground``: the core holds the settings, data, network and
training rule; this widget runs the training on a thread of its own, draws pictures on another
(``Batcher``: at most ``DRAW_INTERVAL`` apart, from a snapshot, with a module of its own, so the
training thread never waits for drawing), and takes the page's requests, each checked by the
core (docs/playground-protocol.md). A refused request sets ``error`` and changes nothing.

Example:
    >>> from dlstudio import Playground
    >>> pg = Playground("dataset=spiral&networkShape=8,8&sinX=true")
    >>> pg.step(10)            # ten epochs, as the Step button does one
    >>> pg.epoch
    10
    >>> pg.share[:15]           # the state a link carries
    'activation=tanh'
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import traitlets

from dlstudio.playground import data as playground_data
from dlstudio.playground.data import Points, read_csv
from dlstudio.playground.engine import PlaygroundRun
from dlstudio.playground.pictures import BIG_SIZE, MAP_SIZE, OUTPUT, Painter, node_ids
from dlstudio.playground.script import playground_script
from dlstudio.playground.settings import (
    CUSTOM,
    DISPLAY_ONLY,
    MAX_LAYERS,
    MAX_NEURONS,
    REDATA,
    PlaygroundError,
    PlaygroundSettings,
    changed,
    new_seed,
    options,
)
from dlstudio.ui._bundle import BundledWidget
from dlstudio.ui.live import _responsive
from dlstudio.ui.live._batcher import Batcher
from dlstudio.ui.protocol import ProtocolError, parse_playground_request

log = logging.getLogger(__name__)

DRAW_INTERVAL = 0.1
"""Seconds between pictures while training: ten a second, as smooth as the eye needs."""
KEEPS_PLAYING = {"learningRate", *DISPLAY_ONLY}
"""Settings that change while training goes on (the rest make new data or a new network)."""
MAX_EPOCHS = 100_000
"""Play stops here, so a page left open does not keep a core busy for ever."""

Handler = Callable[["Playground", dict[str, Any]], None]


class Playground(BundledWidget):
    """Everything TensorFlow Playground teaches, on a PyTorch model, with its code beside it.

    ``state``: a shared state (``"dataset=xor&noise=10"``, a whole Playground link, or
    PlaygroundSettings); ``on_open_builder``: called with the network's Graph when the page's
    "Open in builder" is clicked (the Studio passes one; without it the button is hidden).

    Example:
        >>> pg = Playground()
        >>> pg.set("activation", "relu"); pg.add_layer()
        >>> pg.state.networkShape
        [4, 2, 2]
    """

    bundle_name: ClassVar[str] = "playground"

    settings = traitlets.Dict().tag(sync=True)
    hidden = traitlets.List(traitlets.Unicode()).tag(sync=True)
    share = traitlets.Unicode().tag(sync=True)
    """The state to share: paste it into ``Playground(...)`` or the page's Load box."""
    url_state = traitlets.Bool(False).tag(sync=True)
    options = traitlets.Dict().tag(sync=True)
    thumbnails = traitlets.Dict().tag(sync=True)
    points = traitlets.Dict().tag(sync=True)
    network = traitlets.Dict().tag(sync=True)
    maps = traitlets.Bytes().tag(sync=True)
    map_size = traitlets.Int(MAP_SIZE).tag(sync=True)
    focus = traitlets.Unicode(OUTPUT).tag(sync=True)
    big_map = traitlets.Bytes().tag(sync=True)
    big_size = traitlets.Int(BIG_SIZE).tag(sync=True)
    epoch = traitlets.Int(0).tag(sync=True)
    loss_train = traitlets.Float(0.0).tag(sync=True)
    loss_test = traitlets.Float(0.0).tag(sync=True)
    history: traitlets.List[list[float]] = traitlets.List().tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    frame = traitlets.Int(0).tag(sync=True)
    code = traitlets.Unicode().tag(sync=True)
    error = traitlets.Unicode().tag(sync=True)
    status = traitlets.Unicode().tag(sync=True)
    can_open_builder = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        state: str | PlaygroundSettings | None = None,
        *,
        url_state: bool = False,
        on_open_builder: Callable[[Any], None] | None = None,
        draw_interval: float = DRAW_INTERVAL,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        settings = (
            state
            if isinstance(state, PlaygroundSettings)
            else PlaygroundSettings.from_share(state or "")
        )
        self._on_open_builder = on_open_builder
        self._painter = Painter()
        self._draw_lock = threading.Lock()
        self._playing = threading.Event()
        self._thread: threading.Thread | None = None
        self._batcher = Batcher(self._draw, interval=draw_interval, name="dlstudio-playground")
        self.run = PlaygroundRun(settings)
        with self.hold_sync():
            self.url_state = url_state
            self.can_open_builder = on_open_builder is not None
            self.options = options()
            self._show_settings(data_changed=True)
        self.on_msg(self._on_request)

    # -- what Python code can do (the page's buttons call the same) ---------------------------

    @property
    def state(self) -> PlaygroundSettings:
        """The settings on screen (``share`` holds them as text)."""
        return self.run.settings

    @property
    def graph(self) -> Any:
        """The network on screen as a dlstudio Graph (a copy: open it in a ModelBuilder)."""
        return self.run.graph.copy()

    @property
    def model(self) -> Any:
        """The PyTorch module being trained (built from ``code``'s class)."""
        return self.run.model

    def script(self) -> str:
        """The script that reproduces this run (the code panel's text)."""
        return playground_script(self.run)

    def set(self, name: str, value: Any) -> None:
        """Change one setting, by the original's name (``"learningRate"``, ``"dataset"``...)."""
        if name == "hidden":
            raise PlaygroundError("Hide controls one at a time with hide(control, True).")
        self._apply(self.state.replace(**{name: value}))

    def play(self) -> None:
        """Train epoch after epoch on a thread of its own until ``pause()``."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._playing.set()
        self.playing = True
        self._thread = threading.Thread(target=self._train, name="dlstudio-playground", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Stop after the current epoch (and wait for it)."""
        self._playing.clear()
        thread, self._thread = self._thread, None
        self.playing = False
        if thread is None:
            return  # nothing was training: the page already shows this state
        if thread is not threading.current_thread():
            thread.join(10.0)
        self._show_network()

    def step(self, epochs: int = 1) -> None:
        """Pause, then train ``epochs`` epochs (the Step button: one)."""
        self.pause()
        self.run.step(epochs)
        self._show_network()

    def reset(self) -> None:
        """Pause, then start again from new random weights at epoch 0."""
        self.pause()
        self.run.reset()
        self._show_network()

    def regenerate(self) -> None:
        """New data from a new seed (the network keeps its weights, as in the original)."""
        self._apply(self.state.replace(seed=new_seed()))

    def add_layer(self) -> None:
        shape = self.state.networkShape
        if len(shape) >= MAX_LAYERS:
            raise PlaygroundError(f"The Playground has at most {MAX_LAYERS} hidden layers.")
        self.set("networkShape", [*shape, 2])

    def remove_layer(self) -> None:
        shape = self.state.networkShape
        if not shape:
            raise PlaygroundError("There is no hidden layer to remove.")
        self.set("networkShape", shape[:-1])

    def add_neuron(self, layer: int) -> None:
        self._resize(layer, +1)

    def remove_neuron(self, layer: int) -> None:
        self._resize(layer, -1)

    def set_weight(self, layer: int, to: int, source: int, value: float) -> None:
        """Type a weight in (layer: 1-based Linear layer; to/source: 0-based neurons)."""
        self.run.set_weight(layer, to, source, value)
        self._draw()

    def set_bias(self, layer: int, node: int, value: float) -> None:
        self.run.set_bias(layer, node, value)
        self._draw()

    def hide(self, control: str, hidden: bool = True) -> None:
        """Hide (or show again) one control of the page, for a reduced page to hand out."""
        names = [n for n in self.state.hidden if n != control] + ([control] if hidden else [])
        self._apply(self.state.replace(hidden=names))

    def add_point(self, x: float, y: float, label: float) -> None:
        """Add a point of your own (the page: a click on the plane in draw mode)."""
        # A point added to a built-in set makes that set your own, plus the point.
        base = self.run.custom if self.state.data_name == CUSTOM else _all_points(self.run)
        points = playground_data.add_point(base, x, y, label, self.state.classification)
        self._use_custom(points, self.state.classification)

    def clear_points(self) -> None:
        """Start your own data set from no points."""
        self._use_custom(Points(), self.state.classification)

    def load_csv(self, text: str, name: str = "data.csv") -> None:
        """Use the points of a CSV file's text (two feature columns and a label)."""
        found = read_csv(text, name)
        self._use_custom(found.points, found.classification)
        self.status = found.summary

    def load_share(self, text: str) -> None:
        """Take every setting from a shared state (a link, ``#...`` or ``name=value&...``)."""
        self._apply(PlaygroundSettings.from_share(text))

    def close(self) -> None:
        self._playing.clear()
        self._batcher.close()
        super().close()

    # -- applying changes ------------------------------------------------------------------------

    def _resize(self, layer: Any, change: int) -> None:
        shape = list(self.state.networkShape)
        try:
            index = int(layer) - 1
        except (TypeError, ValueError):
            index = -1
        if not 0 <= index < len(shape):
            raise PlaygroundError(f"There is no hidden layer {layer!r}.")
        if not 1 <= shape[index] + change <= MAX_NEURONS:
            raise PlaygroundError(f"A hidden layer has 1 to {MAX_NEURONS} neurons.")
        shape[index] += change
        self.set("networkShape", shape)

    def _use_custom(self, points: Points, classification: bool) -> None:
        problem = "classification" if classification else "regression"
        key = "dataset" if classification else "regDataset"
        settings = self.state.replace(problem=problem, **{key: CUSTOM})
        self._apply(settings, custom=points)

    def _apply(self, settings: PlaygroundSettings, custom: Points | None = None) -> None:
        difference = changed(self.state, settings)
        if not difference and custom is None:
            return
        # As in the original, a new learning rate (or a display choice) takes effect while
        # playing; anything that makes new data or a new network pauses first.
        if difference - KEEPS_PLAYING or custom is not None:
            self.pause()
        self.run.apply(settings, custom)
        data_changed = bool(difference & {*REDATA, "seed"}) or custom is not None
        self._show_settings(data_changed)

    def _show_settings(self, data_changed: bool) -> None:
        settings = self.state
        with self.hold_sync():
            values = settings.to_dict()
            self.hidden = values.pop("hidden")
            self.settings = values
            self.share = settings.to_share()
            if data_changed:
                self.points = {"train": self.run.data.train.to_json(),
                               "test": self.run.data.test.to_json()}  # fmt: skip
                self.thumbnails = playground_data.thumbnails(settings.problem, self.run.custom)
            self._show_network()

    def _show_network(self) -> None:
        self._draw()
        self.code = self.script()

    # -- training and drawing ----------------------------------------------------------------------

    def _train(self) -> None:
        _responsive.enter()
        try:
            while self._playing.is_set() and self.run.epoch < MAX_EPOCHS:
                self.run.step(1)
                self._batcher.poke()
        except Exception as error:  # the page must hear why training stopped
            log.exception("dlstudio Playground: training failed")
            self.error = f"Training stopped: {error}"
        finally:
            _responsive.leave()
            self._playing.clear()

    def _draw(self) -> None:
        """Send a picture of the network now (from the drawing thread, or after an edit)."""
        with self._draw_lock:
            run, settings = self.run, self.state
            snapshot = run.snapshot()
            picture = self._painter.draw(snapshot, settings, self.focus)
            with self.hold_sync():
                self.network = {
                    "inputs": settings.feature_names(),
                    "shape": list(settings.networkShape),
                    "weights": [w.tolist() for w in _matrices(snapshot, "weight")],
                    "biases": [b.tolist() for b in _matrices(snapshot, "bias")],
                    "dead": [[layer, int(to), int(source)]
                             for layer, mask in enumerate(snapshot.dead, 1)
                             for to, source in zip(*mask.nonzero(), strict=True)],
                }  # fmt: skip
                self.maps, self.big_map = picture.maps, picture.big_map
                self.epoch = snapshot.epoch
                self.loss_train, self.loss_test = snapshot.loss_train, snapshot.loss_test
                self.history = snapshot.history
                self.frame += 1
                if not self._playing.is_set():
                    self.playing = False

    # -- the page's requests -------------------------------------------------------------------------

    def _on_request(self, _widget: Any, content: Any, _buffers: Any) -> None:
        try:
            request = parse_playground_request(content)
            REQUESTS[request["type"]](self, request)
        except (PlaygroundError, ProtocolError) as error:
            self.error = str(error)
        else:
            self.error = ""

    def _set_focus(self, node: Any) -> None:
        if node not in node_ids(self.state):
            raise PlaygroundError(f"There is no node {node!r} to show.")
        self.focus = node
        if not self._playing.is_set():
            self._draw()

    def _open_builder(self) -> None:
        if self._on_open_builder is None:
            raise PlaygroundError("Open the network in a ModelBuilder from Python: pg.graph.")
        self._on_open_builder(self.run.graph)
        self.status = "The network is open in the Model tab's builder."


def _matrices(snapshot: Any, kind: str) -> list[Any]:
    return [v.numpy() for k, v in snapshot.state.items() if k.endswith(f".{kind}")]


def _all_points(run: PlaygroundRun) -> Points:
    train, test = run.data.train, run.data.test
    return Points(np.vstack([train.xy, test.xy]), np.concatenate([train.label, test.label]))


REQUESTS: dict[str, Handler] = {
    "set": lambda pg, r: pg.set(r["name"], r["value"]),
    "play": lambda pg, r: pg.play(),
    "pause": lambda pg, r: pg.pause(),
    "step": lambda pg, r: pg.step(),
    "reset": lambda pg, r: pg.reset(),
    "regenerate": lambda pg, r: pg.regenerate(),
    "add_layer": lambda pg, r: pg.add_layer(),
    "remove_layer": lambda pg, r: pg.remove_layer(),
    "add_neuron": lambda pg, r: pg.add_neuron(r["layer"]),
    "remove_neuron": lambda pg, r: pg.remove_neuron(r["layer"]),
    "set_weight": lambda pg, r: pg.set_weight(r["layer"], r["to"], r["from"], r["value"]),
    "set_bias": lambda pg, r: pg.set_bias(r["layer"], r["node"], r["value"]),
    "focus": lambda pg, r: pg._set_focus(r["node"]),
    "add_point": lambda pg, r: pg.add_point(r["x"], r["y"], r["label"]),
    "clear_points": lambda pg, r: pg.clear_points(),
    "load_csv": lambda pg, r: pg.load_csv(r["text"], r["name"] or "data.csv"),
    "hide": lambda pg, r: pg.hide(r["control"], r["hidden"]),
    "load_share": lambda pg, r: pg.load_share(r["text"]),
    "open_builder": lambda pg, r: pg._open_builder(),
}
