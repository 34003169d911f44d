"""One home for training settings: every place that takes them (the Trainer, the live controls,
the Studio, session files, the exported script) refuses the same bad values with the same
sentence, offers the same choices and keeps to the same limits."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from dlstudio import datasets
from dlstudio.export.script import training_script
from dlstudio.graph import examples
from dlstudio.session import DataSpec, StudioSession
from dlstudio.train import SettingsError, Trainer, TrainingSetupError
from dlstudio.train.optim import make_optimizer, make_schedule
from dlstudio.train.settings import (
    FIELDS,
    LIMITS,
    TrainingSettings,
    check_setting,
    check_settings,
    choices,
)

BAD: list[dict[str, Any]] = [
    {"epochs": 0},
    {"epochs": 10_001},
    {"epochs": 2.5},
    {"epochs": "many"},
    {"batch_size": 0},
    {"batch_size": 10**6},
    {"lr": float("nan")},
    {"lr": 1e9},
    {"lr": "fast"},
    {"lr": True},
    {"optimizer": "lion"},
    {"loss": "hinge"},
    {"scheduler": "warmup"},
    {"seed": -1},
]
IDS = [f"{k}={v!r}" for bad in BAD for k, v in bad.items()]


def sentence(bad: dict[str, Any]) -> str:
    with pytest.raises(SettingsError) as caught:
        TrainingSettings.from_dict(bad)
    return str(caught.value)


@pytest.fixture(scope="module")
def blobs() -> Any:
    x = torch.randn(40, 4)
    return datasets.from_tensors(x, (x[:, 0] > 0).long())


def test_one_sentence_per_bad_value_says_what_and_how() -> None:
    assert sentence({"epochs": 0}) == "The number of epochs must be between 1 and 10,000, not 0."
    assert sentence({"lr": "fast"}) == (
        "The learning rate must be a number between 1e-06 and 1e+06, not 'fast'."
    )
    assert sentence({"optimizer": "lion"}) == (
        "Unknown optimizer 'lion': choose one of sgd, adam, adamw, rmsprop."
    )
    assert sentence({"momentum": 0.9}).startswith("Unknown training setting(s): momentum.")
    with pytest.raises(SettingsError, match="must be a JSON object, not list"):
        TrainingSettings.from_dict([1])


@pytest.mark.parametrize("bad", BAD, ids=IDS)
def test_the_trainer_refuses_with_the_same_sentence(blobs: Any, bad: dict[str, Any]) -> None:
    with pytest.raises(TrainingSetupError) as caught:
        Trainer(nn.Linear(4, 2), blobs, device="cpu", **bad)
    assert str(caught.value) == sentence(bad)


@pytest.mark.parametrize("bad", BAD, ids=IDS)
def test_the_controls_refuse_with_the_same_sentence(blobs: Any, bad: dict[str, Any]) -> None:
    from dlstudio.ui.live._trainers import validate_settings

    if "seed" in bad:  # the seed stays with the trainer: not a control
        with pytest.raises(SettingsError, match="Unknown training setting.*seed"):
            validate_settings(bad)
        return
    with pytest.raises(SettingsError) as caught:
        validate_settings(bad)
    assert str(caught.value) == sentence(bad)


@pytest.mark.parametrize("bad", BAD, ids=IDS)
def test_session_files_and_the_script_refuse_with_the_same_sentence(
    tmp_path: Path, bad: dict[str, Any]
) -> None:
    session = StudioSession(DataSpec(), TrainingSettings(), examples.load("mlp"))
    folder = session.save(tmp_path / "one")
    manifest = json.loads((folder / "studio.json").read_text(encoding="utf-8"))
    manifest["settings"].update(bad)
    (folder / "studio.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        StudioSession.load(folder)
    assert str(caught.value) == sentence(bad)

    with pytest.raises(SettingsError) as caught:
        training_script(examples.load("mlp"), DataSpec(), bad, task="classification")
    assert str(caught.value) == sentence(bad)


def test_a_code_spec_passes_where_code_is_welcome(blobs: Any) -> None:
    trainer = Trainer(nn.Linear(4, 2), blobs, device="cpu", optimizer=torch.optim.Adagrad,
                      loss=nn.CrossEntropyLoss(), scheduler={"name": "step"})  # fmt: skip
    assert isinstance(trainer.optimizer, torch.optim.Adagrad)
    with pytest.raises(SettingsError, match="Unknown optimizer <class"):
        TrainingSettings(optimizer=torch.optim.Adagrad)  # type: ignore[arg-type]
    # A dict spec names its choice: an unknown one gets the same sentence as the bare name.
    with pytest.raises(SettingsError) as caught:
        make_optimizer({"name": "lion"}, nn.Linear(2, 1).parameters(), lr=0.1)
    assert str(caught.value) == sentence({"optimizer": "lion"})


def test_names_are_normalised_the_same_everywhere(blobs: Any) -> None:
    settings = TrainingSettings(epochs="3", optimizer="SGD", loss="CE", scheduler="One_Cycle")
    assert settings.to_dict() == {
        "epochs": 3, "batch_size": 64, "lr": 1e-3, "optimizer": "sgd", "loss": "cross_entropy",
        "scheduler": "onecycle", "seed": 0,
    }  # fmt: skip
    assert TrainingSettings.from_dict(settings.to_dict()) == settings
    assert check_settings({"scheduler": None}) == {"scheduler": "none"}
    trainer = Trainer(nn.Linear(4, 2), blobs, device="cpu", scheduler="none")
    assert trainer.schedule is None
    opt = make_optimizer("adam", nn.Linear(2, 1).parameters(), lr=0.1)
    assert make_schedule("none", opt, 0.1, 2, 3) is None


def test_choices_come_from_the_registries_and_the_limits_are_one_set() -> None:
    from dlstudio.train.losses import loss_names

    names = choices()
    assert names["loss"] == ("auto", *loss_names())
    assert names["scheduler"][0] == "none"
    assert set(names["augmentation"]) == set(datasets.augmentations())
    assert FIELDS == ("epochs", "batch_size", "lr", "optimizer", "loss", "scheduler", "seed")
    for name, (low, high) in LIMITS.items():
        assert check_setting(name, low) == low and check_setting(name, high) == high
        for outside in (low / 2 if name == "lr" else low - 1, high * 2):
            with pytest.raises(SettingsError, match="must be between"):
                check_setting(name, outside)
    assert math.isclose(check_setting("lr", "1e-3"), 1e-3)


def test_the_widgets_keep_to_the_same_limits_and_choices(tmp_path: Path) -> None:
    from dlstudio.ui.live import TrainingControls
    from dlstudio.ui.studio import Studio

    controls = TrainingControls(lambda **s: None)  # type: ignore[arg-type, return-value]
    fields = controls.fields
    assert (fields["epochs"].min, fields["epochs"].max) == LIMITS["epochs"]
    assert (fields["batch_size"].min, fields["batch_size"].max) == LIMITS["batch_size"]
    assert (10 ** fields["lr"].min, 10 ** fields["lr"].max) == pytest.approx(LIMITS["lr"])
    for name in ("optimizer", "loss", "scheduler"):
        assert tuple(value for _label, value in fields[name].options) == choices()[name]
    studio = Studio(data_dir=tmp_path)
    assert (studio.train.seed.min, studio.train.seed.max) == LIMITS["seed"]
    assert studio.data.augment.options == choices()["augmentation"]
