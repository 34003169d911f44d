"""The Studio in Python: panels stay in step, training runs from the Train panel, sessions
round-trip, and whatever the page can send is checked before it is used."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from dlstudio.graph import examples, zoo
from dlstudio.paths import PathError
from dlstudio.session import DataSpec
from dlstudio.train.settings import LIMITS, TrainingSettings
from dlstudio.ui.studio import Studio, load_session, save_session
from dlstudio.ui.studio.data import DataPanel, list_files

from .image_folder import write_image_folder


@pytest.fixture
def studio(tmp_path: Path) -> Studio:
    return Studio(data_dir=tmp_path)


def _train(studio: Studio, epochs: int = 1):
    studio.train.controls.set(epochs=epochs, batch_size=64)
    trainer = studio.train.controls.train()
    trainer.wait(timeout=300)
    assert trainer.state == "finished", trainer.error
    return trainer


def test_defaults_digits_and_a_fitted_model(studio: Studio) -> None:
    assert studio.data.spec == DataSpec("builtin", "digits")
    assert studio.data.bundle.input_shape == (1, 8, 8)
    graph = studio.graph
    assert graph.infer_shapes()["output"] == (None, 10)
    assert "digits" in studio.header.value and "parameters" in studio.header.value
    assert studio.data.samples.value.count("<img") == 16
    assert "class Net(nn.Module)" in studio.code.model_view.code
    assert "def main():" in studio.code.script_view.code


def test_templates_and_data_changes_refit_the_model(studio: Studio) -> None:
    studio.model.use_template("lenet5")
    assert studio.graph.infer_shapes()["output"] == (None, 10)
    assert "nn.Conv2d(1, 6, 5" in studio.code.model_view.code
    # The builder's own toolbar asks for templates by message: they arrive fitted too.
    template = {"type": "apply_template", "view": "v", "id": 1, "name": "mlp"}
    studio.model.builder._on_message(None, template, [])
    assert studio.graph.infer_shapes()["output"] == (None, 10)

    studio.data.builtin.value = "iris"  # what picking it on the page does
    assert studio.data.bundle.name == "iris"
    assert studio.graph.infer_shapes()["output"] == (None, 3)
    assert studio.graph.node("input").params["shape"] == [4]

    studio.model.use_template("lenet5")  # convolutions cannot take 4 numbers: the builder says so
    assert studio.model.builder.problems
    assert "problem(s) to fix" in studio.header.value
    assert "fix them first" in studio.code.script_view.code
    studio.train.controls._press("Train")
    assert "conv1" in studio.train.controls.message.value  # the GraphError, in words
    assert studio.trainer is None


def test_train_stop_and_read_the_accuracy(studio: Studio) -> None:
    studio.model.use_template("lenet5")
    studio.train.controls.set(epochs=500, batch_size=32)
    trainer = studio.train.controls.train()
    while trainer.step < 5 and trainer.state == "running":
        trainer.wait(timeout=0.05)
    studio.train.controls._press("Stop")
    assert trainer.state == "stopped"
    step = trainer.step
    trainer.wait(timeout=0.5)
    assert trainer.step == step

    trainer = _train(studio, epochs=2)
    assert trainer.history.epochs[-1]["val_accuracy"] > 0.3
    assert "validation accuracy" in studio.train.summary.value
    assert studio.train.plot.snapshot()["series"]["loss"]["y"]


def test_changing_the_model_forgets_the_run(studio: Studio) -> None:
    _train(studio)
    assert studio.trainer is not None
    studio.model.use_template("lenet5")
    assert studio.trainer is None
    assert studio.train.plot.snapshot()["series"] == {}


def test_studio_run_and_exported_script_agree(studio: Studio, tmp_path: Path) -> None:
    trainer = _train(studio, epochs=2)
    source = studio.script()
    assert "EPOCHS = 2" in source and "BATCH_SIZE = 64" in source
    namespace: dict = {"__name__": "exported"}
    exec(compile(source, "train.py", "exec"), namespace)  # our own generated script
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        namespace["main"]()
    expected = trainer.history.epochs[-1]["val_accuracy"]
    assert f"final val_accuracy: {expected:.4f}" in out.getvalue()


def test_session_round_trip(studio: Studio, tmp_path: Path) -> None:
    studio.model.use_template("lenet5")
    studio.train.seed.value = 3
    trainer = _train(studio, epochs=1)
    folder = save_session(studio, tmp_path / "sessions" / "one")
    assert sorted(p.name for p in folder.iterdir()) == ["graph.json", "studio.json", "trainer"]
    assert (folder / "trainer" / "model.safetensors").is_file()

    other = Studio(data="iris", data_dir=tmp_path)
    load_session(other, folder)
    assert other.data.spec == studio.data.spec
    assert other.train.settings() == studio.train.settings()
    assert other.graph.to_dict() == studio.graph.to_dict()
    assert other.model.templates.value == "lenet5"
    loaded = other.trainer
    assert loaded.history.epochs == trainer.history.epochs
    for name, tensor in trainer.model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[name], tensor)
    assert "validation accuracy" in other.train.summary.value

    # Saving again replaces the session; a folder holding other files is never replaced.
    save_session(other, folder)
    busy = tmp_path / "sessions" / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError, match="other files"):
        save_session(studio, busy)
    assert (busy / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not [p for p in (tmp_path / "sessions").iterdir() if p.name.startswith(".")]


def test_a_session_that_cannot_load_changes_nothing(studio: Studio, tmp_path: Path) -> None:
    studio.model.use_template("lenet5")
    _train(studio, epochs=1)
    folder = save_session(studio, tmp_path / "sessions" / "one")
    other = Studio(data="iris", data_dir=tmp_path)
    shown = (other.data.spec, other.train.settings(), other.graph.to_dict())

    run = (folder / "trainer" / "trainer.json").read_text(encoding="utf-8")
    (folder / "trainer" / "trainer.json").write_text("{", encoding="utf-8")  # a broken run
    with pytest.raises(ValueError):
        load_session(other, folder)
    assert (other.data.spec, other.train.settings(), other.graph.to_dict()) == shown
    (folder / "trainer" / "trainer.json").write_text(run, encoding="utf-8")

    manifest = json.loads((folder / "studio.json").read_text(encoding="utf-8"))
    manifest["data"] = {"source": "csv", "path": "gone.csv", "target": "y"}  # data not there
    (folder / "studio.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(FileNotFoundError):
        load_session(other, folder)
    assert (other.data.spec, other.train.settings(), other.graph.to_dict()) == shown
    assert other.trainer is None


def test_a_broken_session_is_refused_in_the_panel_and_nothing_changes(
    studio: Studio, tmp_path: Path
) -> None:
    import pickle
    import shutil

    _train(studio, epochs=1)
    sessions = tmp_path / "dlstudio-sessions"
    good = save_session(studio, sessions / "good")
    other = Studio(data="iris", data_dir=tmp_path)
    panel = other.session

    def broken(name: str, change) -> None:
        shutil.copytree(good, sessions / name)
        change(sessions / name)

    weights = studio.trainer.model.state_dict()
    broken("pickled", lambda f: (f / "trainer" / "model.safetensors").write_bytes(
        pickle.dumps(weights)))  # fmt: skip
    broken("list", lambda f: (f / "trainer" / "trainer.json").write_text("[]", encoding="utf-8"))

    def passwd(folder: Path) -> None:
        manifest = json.loads((folder / "studio.json").read_text(encoding="utf-8"))
        manifest["data"]["path"] = "../../../../etc/passwd"
        (folder / "studio.json").write_text(json.dumps(manifest), encoding="utf-8")

    broken("passwd", passwd)
    shown = (other.data.spec, other.train.settings(), other.graph.to_dict(), other.trainer)
    for name, why in (("pickled", "header too large"), ("list", "must be a JSON object"),
                      ("passwd", "takes no path")):  # fmt: skip
        panel.refresh()
        panel.saved.value = name
        panel._act(panel._load)  # what the button does; nothing may escape it
        message = panel.message.value
        assert f"{name} was not loaded, nothing changed: " in message and why in message
        assert (other.data.spec, other.train.settings(), other.graph.to_dict(),
                other.trainer) == shown  # fmt: skip


def test_session_panel_checks_names_and_files(studio: Studio, tmp_path: Path) -> None:
    panel = studio.session
    for bad in ("../escape", "/etc", "a/b", "", ".hidden", "x" * 80, "good\n", "a\nb"):
        panel.name.value = bad
        panel.save.click()
        assert "not a usable session name" in panel.message.value
    assert not (tmp_path / "escape").exists()
    panel.name.value = "good-1"
    panel.save.click()
    assert "Saved to" in panel.message.value
    assert panel.saved.options == ("good-1",)
    manifest = tmp_path / "dlstudio-sessions" / "good-1" / "studio.json"
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    doc["settings"]["lr"] = 1e9  # a hand-edited file is checked like the page
    manifest.write_text(json.dumps(doc), encoding="utf-8")
    panel.load.click()
    assert "The learning rate must be between" in panel.message.value


def test_what_the_page_sends_is_checked(studio: Studio) -> None:
    builder = studio.model.builder
    before = studio.graph.to_dict()
    broken = {"version": 1, "nodes": [{"id": 3}], "edges": "x"}
    base = builder.graph_revision["number"]
    edit = {"type": "edit", "view": "v", "id": 1, "base": base, "graph": broken}
    builder._on_message(builder, edit, [])
    assert builder.error and studio.graph.to_dict() == before
    fields = studio.train.controls.fields
    fields["epochs"].set_state({"value": 10**9})  # numbers outside the range are clamped
    assert fields["epochs"].value == fields["epochs"].max
    studio.train.seed.set_state({"value": -4})
    assert studio.train.seed.value == 0
    with pytest.raises(Exception):  # noqa: B017 - traitlets refuses an option not offered
        studio.data.builtin.set_state({"index": 999})
    with pytest.raises(PathError, match="outside the data folder"):
        DataSpec("csv", path="../../etc/passwd", target="x")
    assert studio.data.spec == DataSpec("builtin", "digits")


def test_csv_columns_are_read_safely_and_said_when_they_cannot_be(tmp_path: Path) -> None:
    (tmp_path / "good.csv").write_text("a,b,label\n1,2,x\n", encoding="utf-8")
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.csv")  # would block the kernel forever if it were opened
    panel = Studio(data_dir=tmp_path).data
    panel.source.value = "csv"
    for name, why in (("empty.csv", "empty.csv is empty"),
                      ("pipe.csv", "pipe.csv is not a regular file")):  # fmt: skip
        panel.csv_file.value = "good.csv"
        assert panel.csv_target.options == ("a", "b", "label") and not panel.message.value
        panel.csv_file.value = name
        assert panel.csv_target.options == ()  # the previous file's columns do not stay
        assert why in panel.message.value


def test_a_session_on_a_csv_file_added_after_the_start_loads(tmp_path: Path) -> None:
    studio = Studio(data_dir=tmp_path)  # lists the data folder's files: none yet
    rows = ["a,b,label"] + [f"{i},{i % 3},{'x' if i % 2 else 'y'}" for i in range(40)]
    (tmp_path / "late.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    other = Studio(data_dir=tmp_path)
    other.data.source.value = "csv"
    other.data.csv_file.value = "late.csv"
    other.data.use.click()
    folder = save_session(other, tmp_path / "dlstudio-sessions" / "late")
    load_session(studio, folder)
    assert studio.data.spec == other.data.spec and studio.data.csv_file.value == "late.csv"


def test_use_this_data_checks_every_field_in_python(tmp_path: Path) -> None:
    write_image_folder(tmp_path)
    panel = Studio(data_dir=tmp_path).data
    panel.source.value = "folder"
    panel.folder.value = "shapes"
    panel.image_size.set_state({"min": 1})  # the page can change a field's bounds
    panel.image_size.set_state({"value": 2})
    panel.use.click()
    assert "The image size must be between 4 and 512, not 2." in panel.message.value
    assert panel.spec == DataSpec("builtin", "digits")


def test_the_largest_settings_the_controls_take_save_and_make_a_script(
    studio: Studio, tmp_path: Path
) -> None:
    fields = studio.train.controls.fields
    fields["epochs"].set_state({"value": 10**9})  # clamped to the controls' largest value
    fields["batch_size"].set_state({"value": 10**9})
    epochs, batch_size = fields["epochs"].value, fields["batch_size"].value
    assert (epochs, batch_size) == (LIMITS["epochs"][1], LIMITS["batch_size"][1])
    assert f"EPOCHS = {epochs}" in studio.code.script_view.code
    assert f"BATCH_SIZE = {batch_size}" in studio.script()
    folder = save_session(studio, tmp_path / "sessions" / "largest")
    settings = json.loads((folder / "studio.json").read_text(encoding="utf-8"))["settings"]
    assert (settings["epochs"], settings["batch_size"]) == (epochs, batch_size)


def test_a_seed_the_page_widened_the_bounds_for_is_refused_everywhere(
    studio: Studio, tmp_path: Path
) -> None:
    seed = studio.train.seed
    seed.set_state({"min": -10})
    seed.set_state({"value": -1})
    sentence = "The seed must be between 0 and 2,147,483,647, not -1."
    studio.train.controls._press("Train")
    assert sentence in studio.train.controls.message.value and studio.trainer is None
    assert sentence in studio.code.script_view.code
    studio.session.name.value = "seeded"
    studio.session.save.click()
    assert sentence in studio.session.message.value
    assert not (tmp_path / "dlstudio-sessions" / "seeded").exists()


def test_csv_and_image_folders_inside_the_data_folder(tmp_path: Path) -> None:
    rows = ["width,height,kind"] + [f"{i % 7},{i % 5},{'big' if i % 7 > 3 else 'small'}"
                                    for i in range(60)]  # fmt: skip
    (tmp_path / "boxes.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    write_image_folder(tmp_path)
    (tmp_path / "code" / "src").mkdir(parents=True)  # folders of folders without images
    (tmp_path / "code" / "src" / "main.py").write_text("print()", encoding="utf-8")
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "b.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    assert list_files(tmp_path) == (["boxes.csv", "more/b.csv"], ["shapes"])

    studio = Studio(data_dir=tmp_path)
    panel = studio.data
    panel.source.value = "csv"
    panel.csv_file.value = "boxes.csv"
    assert panel.csv_target.value == "kind"
    panel.use.click()
    assert panel.bundle.input_shape == (2,) and panel.bundle.classes == ["big", "small"]
    assert studio.graph.infer_shapes()["output"] == (None, 2)
    assert "<table" in panel.samples.value

    panel.source.value = "folder"
    panel.folder.value = "shapes"
    panel.image_size.value = 16
    panel.use.click()
    assert panel.bundle.input_shape == (3, 16, 16)
    assert studio.graph.node("input").params["shape"] == [3, 16, 16]
    panel.augment.value = ("flip", "noise")
    assert panel.spec.augment == ("flip", "noise")
    assert "With augmentation" in panel.preview.value
    assert panel.preview.value.count("<img") == 8


def test_import_a_torchvision_network_and_train_only_its_head(tmp_path: Path) -> None:
    write_image_folder(tmp_path)
    studio = Studio(data_dir=tmp_path)
    studio.data.source.value = "folder"
    studio.data.folder.value = "shapes"
    studio.data.image_size.value = 16
    studio.data.use.click()
    panel = studio.model
    assert list(panel.architecture.options) == list(zoo.IMPORTABLE)
    panel.architecture.value = "resnet18"
    panel.import_button.click()
    graph = studio.graph
    assert graph.node("layer1.0").op == "BasicBlock" and panel.templates.value is None
    assert graph.infer_shapes()["output"] == (None, 2)  # the head fitted to dark and light
    assert "11,177,538 parameters" in studio.header.value
    panel.head_only.click()
    frozen = {node.id for node in studio.graph.nodes if node.frozen}
    assert "fc" not in frozen and {"conv1", "layer4.1"} <= frozen
    assert "requires_grad_(False)" in studio.code.model_view.code
    torch.manual_seed(studio.train.settings().seed)  # the Trainer seeds, then builds
    before = studio.graph.build().state_dict()
    trainer = _train(studio)
    after = trainer.model.state_dict()
    changed = {
        k for k, v in after.items() if v.is_floating_point() and not torch.equal(v, before[k])
    }
    assert changed == {"fc.weight", "fc.bias"}
    panel.train_all.click()
    assert not any(node.frozen for node in studio.graph.nodes)


def test_augmentation_preview_for_built_in_images(tmp_path: Path) -> None:
    panel = DataPanel(tmp_path)
    panel.augment.value = ("rotation",)
    assert panel.bundle.augment == {"rotation": {}}
    assert "With augmentation" in panel.preview.value
    panel.builtin.value = "iris"  # not images: augmentation does not apply
    assert panel.spec.augment == () and panel.augment.disabled


def test_inspect_and_explain_slots(studio: Studio) -> None:
    for slot in (studio.inspect, studio.explain):
        slot.fill(None)
        assert "Train the model" in slot.message.value or "not installed" in slot.message.value
    _train(studio)
    studio.tabs.selected_index = 4
    studio.tabs.selected_index = 5
    for slot in (studio.inspect, studio.explain):
        if slot.panel_class() is None:
            assert "not installed" in slot.message.value
        else:
            assert slot.children[0] is not slot.message, slot.message.value


def test_templates_are_the_shipped_examples(studio: Studio) -> None:
    assert [value for _label, value in studio.model.templates.options] == examples.names()
    assert studio.model.builder not in studio.model.children
    studio.tabs.selected_index = 1  # the builder appears when its tab is first shown
    assert studio.model.builder in studio.model.children
    assert studio.train.children == ()  # and so do the training widgets
    studio.tabs.selected_index = 2
    assert studio.train.controls in studio.train.children


def test_train_settings_round_trip_through_the_controls(studio: Studio) -> None:
    settings = TrainingSettings(epochs=7, batch_size=16, lr=0.01, optimizer="sgd", scheduler="step",
                             seed=5)  # fmt: skip
    studio.train.apply(settings)
    assert studio.train.settings() == settings
    assert "EPOCHS = 7" in studio.code.script_view.code
    assert "StepLR" in studio.code.script_view.code


def test_app_and_lab_commands(tmp_path: Path) -> None:
    from dlstudio import cli
    from dlstudio.app import launch

    args = cli._parser(cli.GRAPH_COMMANDS).parse_args(["app", "--port", "9100", "--no-browser"])
    assert (args.handler, args.port, args.no_browser) == (cli._app, 9100, True)
    argv = launch.voila_command(9100, open_browser=False)
    assert "--Voila.ip=127.0.0.1" in argv and "--port=9100" in argv and "--no-browser" in argv
    assert "--preheat_kernel=True" in argv and "--show_tracebacks=False" in argv
    assert argv[-1] == str(launch.NOTEBOOK) and launch.NOTEBOOK.is_file()
    # The page's template ships in the package, found through JUPYTER_PATH.
    assert f"--template={launch.TEMPLATE}" in argv
    template = launch.TEMPLATES_ROOT / "voila" / "templates" / launch.TEMPLATE
    assert (template / "index.html.j2").is_file() and (template / "conf.json").is_file()
    assert "cdn" not in (template / "index.html.j2").read_text().replace("CDN", "")
    assert launch._jupyter_path().split(os.pathsep)[0] == str(launch.TEMPLATES_ROOT)
    lab = launch.lab_command(9101, open_browser=False, root=tmp_path)
    assert "--ServerApp.ip=127.0.0.1" in lab and f"--ServerApp.root_dir={tmp_path}" in lab
    assert launch.run_app(open_browser=False, data_dir=tmp_path / "missing") == 2


def test_the_export_tab_writes_measures_and_offers_the_files(studio: Studio) -> None:
    untrained = studio.export.run()["onnx"]
    assert (
        untrained.max_abs_diff < 1e-4
        and "(untrained)" in (untrained.folder / "README.md").read_text()
    )
    _train(studio)
    studio.export.formats.value = ("onnx", "python", "script")
    results = studio.export.run()
    onnx = results["onnx"]
    assert onnx.folder == studio.root / "dlstudio-exports" / "onnx"
    assert onnx.accuracy_after == pytest.approx(onnx.accuracy_before) and onnx.accuracy_before > 0.3
    page = studio.export.reports.value
    assert page.count("largest difference from the model") == 2  # onnx and python
    assert 'download="model.onnx"' in page and 'download="weights.safetensors"' in page
    assert (results["script"].folder / "train.py").is_file()
    assert "Exported 3 of 3" in studio.export.status.value
