"""The Studio ties inspection to the builder: health badges after training, and a node clicked
in the builder is the layer the Inspect panel shows."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dlstudio.ui.builder import ModelBuilder
from dlstudio.ui.studio import Studio


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Studio:
    studio = Studio(data_dir=tmp_path_factory.mktemp("studio"))
    studio.inspection.min_interval = 0.0  # every capture reaches the builder at once
    studio.train.controls.set(epochs=1, batch_size=64)
    trainer = studio.train.controls.train()
    trainer.wait(timeout=300)
    assert trainer.state == "finished", trainer.error
    return studio


def _layer_nodes(studio: Studio) -> set[str]:
    return set(studio.graph.module_names())


def test_training_gives_every_layer_node_a_health_badge(trained: Studio) -> None:
    builder = trained.model.builder
    callback = trained.inspection.callback_for(trained.trainer)
    assert callback is not None and callback in trained.trainer.callbacks
    assert callback.every == 50 and callback.last_report is not None
    assert set(builder.health) == _layer_nodes(trained)
    assert set(builder.health.values()) <= {"ok", "warn", "bad"}
    # Every note belongs to a node whose badge is not "ok".
    assert all(builder.health[node] != "ok" for node in builder.health_notes)


def test_selecting_a_node_shows_its_layer_in_the_inspector(trained: Studio) -> None:
    trained.tabs.selected_index = trained.tabs.children.index(trained.inspect)
    inspector = trained.inspection.inspector
    assert inspector is not None
    assert inspector.callback is trained.inspection.callback_for(trained.trainer)
    names = trained.graph.module_names()
    inspected = [node for node, layer in names.items() if layer in inspector.report.layers]
    assert {"fc1", "relu1", "fc3"} <= set(inspected)
    for node in sorted(inspected):
        trained.model.builder.selection = [node]  # what a click on the node does
        assert inspector.selected == names[node]
        assert node in inspector.stats.value
        assert f"node <b>{node}</b>" in trained.inspection.note.value
    for node in ("input", "flatten"):  # no statistics of their own: the note says so
        trained.model.builder.selection = [node]
        assert f"Node <b>{node}</b> has nothing to inspect" in trained.inspection.note.value
    assert inspector.selected == names[sorted(inspected)[-1]]


def test_a_model_change_clears_the_badges(trained: Studio) -> None:
    assert trained.model.builder.health
    trained.model.use_template("lenet5")
    assert trained.model.builder.health == {}
    assert trained.inspection.inspector is None  # the old model's inspector is gone too
    assert "Showing" not in trained.inspection.note.value


def test_set_health_checks_its_states() -> None:
    builder = ModelBuilder("mlp")
    builder.set_health({"fc1": "bad"}, {"fc1": "NaN in the output."})
    assert builder.health == {"fc1": "bad"}
    assert builder.health_notes == {"fc1": "NaN in the output."}
    with pytest.raises(ValueError, match="Health states"):
        builder.set_health({"fc1": "fine"})


def test_badges_are_throttled_but_the_newest_arrives(tmp_path: Path) -> None:
    studio = Studio(data_dir=tmp_path)
    link = studio.inspection
    link.min_interval = 0.3
    studio.train.controls.set(epochs=3, batch_size=64)
    trainer = studio.train.controls.reset()  # a new trainer, not started
    callback = link.callback_for(trainer)
    assert callback is not None and callback in trainer.callbacks
    assert callback.budget is not None  # the Studio keeps captures within a time budget
    link.every = callback.every = 2  # many captures in a short run
    callback.budget = None
    sent: list[dict[str, str]] = []
    studio.model.builder.observe(lambda change: sent.append(change["new"]), "health")
    trainer.fit()
    assert len(callback.reports) > 10
    # Fewer updates than captures (a capture every few milliseconds here), yet the newest
    # one arrives once the waiting time is over.
    deadline = time.monotonic() + 5
    while not sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert 1 <= len(sent) < len(callback.reports)
    time.sleep(link.min_interval + 0.2)
    assert studio.model.builder.health == callback.health(callback.graph)
    assert set(studio.model.builder.health) == _layer_nodes(studio)
