"""from_csv: imputation, one-hot encoding, task detection and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dlstudio import datasets


def stack(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    items = [dataset[i] for i in range(len(dataset))]
    return torch.stack([x for x, _ in items]), torch.stack([y for _, y in items])


def test_text_target_is_classification_with_one_hot_features(csv_path: Path) -> None:
    bundle = datasets.from_csv(csv_path, target="kind")
    assert bundle.task == "classification"
    assert bundle.classes == ["big", "small"] and bundle.num_classes == 2
    # The id column (a value per row) is left out, and the description says so.
    assert bundle.feature_names == [
        "size", "color=blue", "color=green", "color=red", "weight", "price", "rating",
    ]  # fmt: skip
    assert "ignored column 'id'" in bundle.description
    assert bundle.input_shape == (7,)
    assert (len(bundle.train), len(bundle.val)) == (160, 40)
    x, y = bundle.train[0]
    assert x.dtype == torch.float32 and y.dtype == torch.int64 and y.shape == ()


def test_no_nan_reaches_the_model(csv_path: Path) -> None:
    bundle = datasets.from_csv(csv_path, target="kind")
    for split in (bundle.train, bundle.val):
        x, _ = stack(split)
        assert torch.isfinite(x).all()


def test_one_hot_columns_stay_indicators_and_missing_category_is_filled(csv_path: Path) -> None:
    bundle = datasets.from_csv(csv_path, target="kind")
    x, _ = stack(bundle.train)
    onehot = x[:, 1:4]
    assert set(onehot.unique().tolist()) == {0.0, 1.0}
    # Every row, including those with a missing colour, has exactly one colour.
    assert torch.equal(onehot.sum(dim=1), torch.ones(len(x)))


def test_numeric_columns_standardised_on_train_rows_only(csv_path: Path) -> None:
    bundle = datasets.from_csv(csv_path, target="kind")
    x_train, _ = stack(bundle.train)
    x_val, _ = stack(bundle.val)
    numeric = [0, 4, 5, 6]
    assert torch.allclose(x_train[:, numeric].mean(0), torch.zeros(4), atol=1e-5)
    assert torch.allclose(x_train[:, numeric].std(0, unbiased=False), torch.ones(4), atol=1e-4)
    assert x_val[:, numeric].mean(0).abs().max() > 1e-3


def test_float_target_is_regression(csv_path: Path) -> None:
    bundle = datasets.from_csv(csv_path, target="price")
    assert bundle.task == "regression" and bundle.num_classes is None
    assert bundle.output_size == 1 and bundle.classes == []
    _, y = bundle.train[0]
    assert y.dtype == torch.float32 and y.shape == (1,)
    # Targets are not standardised: prices stay in their own units.
    _, ys = stack(bundle.train)
    assert ys.mean() > 50


def test_small_integer_target_is_classification_and_overridable(csv_path: Path) -> None:
    bundle = datasets.from_csv(csv_path, target="rating")
    assert bundle.task == "classification" and bundle.classes == ["1", "2", "3", "4", "5"]
    regression = datasets.from_csv(csv_path, target="rating", task="regression")
    assert regression.task == "regression"
    _, y = stack(regression.train)
    assert set(y.flatten().tolist()) <= {1.0, 2.0, 3.0, 4.0, 5.0}


def test_text_target_cannot_be_regression(csv_path: Path) -> None:
    with pytest.raises(ValueError, match="holds text"):
        datasets.from_csv(csv_path, target="kind", task="regression")


def test_several_targets_make_a_multi_output_regression(csv_path: Path) -> None:
    bundle = datasets.from_csv(csv_path, target=["price", "rating"])
    assert bundle.task == "regression" and bundle.output_size == 2
    assert bundle.train[0][1].shape == (2,)


def test_rows_without_a_target_are_dropped_and_noted(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    rows = ["a,b,label"] + [f"{i},{i % 3},{'yes' if i % 2 else 'no'}" for i in range(30)]
    rows[5] = "4,1,"
    path.write_text("\n".join(rows))
    bundle = datasets.from_csv(path, target="label")
    assert len(bundle.train) + len(bundle.val) == 29
    assert "dropped 1 rows with no target" in bundle.description


def test_numeric_target_with_a_gap_marker_stays_regression(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    rows = ["area,price"] + [f"{i},{i * 1.5 + 0.25}" for i in range(40)]
    rows[7] = "6,?"
    path.write_text("\n".join(rows))
    bundle = datasets.from_csv(path, target="price")
    assert bundle.task == "regression"
    assert len(bundle.train) + len(bundle.val) == 39
    assert "dropped 1 rows with no target" in bundle.description


def test_semicolon_separator_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("x;y;z\n" + "\n".join(f"{i};{i * 2};{i % 2}" for i in range(20)))
    bundle = datasets.from_csv(path, target="z")
    assert bundle.feature_names == ["x", "y"] and bundle.task == "classification"


def test_missing_target_column_names_the_columns(csv_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"Column 'Price' is not in shop.csv. Did you mean 'price'"
    ):
        datasets.from_csv(csv_path, target="Price")
    with pytest.raises(ValueError, match="The columns are: id, size, color"):
        datasets.from_csv(csv_path, target="nothing_like_it")


def test_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(ValueError, match="empty.csv is empty"):
        datasets.from_csv(path, target="y")
    path.write_text("a,b,y\n")
    with pytest.raises(ValueError, match="header but no data rows"):
        datasets.from_csv(path, target="y")


def test_non_csv_files_are_clear_errors(tmp_path: Path) -> None:
    binary = tmp_path / "data.csv"
    binary.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(ValueError, match="not a CSV file: it holds binary data"):
        datasets.from_csv(binary, target="y")
    excel = tmp_path / "data.xlsx"
    excel.write_bytes(b"PK\x03\x04")
    with pytest.raises(ValueError, match="looks like an Excel workbook, not a CSV file"):
        datasets.from_csv(excel, target="y")
    prose = tmp_path / "notes.csv"
    prose.write_text("Just a sentence about nothing\nand another line\n")
    with pytest.raises(ValueError, match="single column"):
        datasets.from_csv(prose, target="y")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="No file at"):
        datasets.from_csv(tmp_path / "nope.csv", target="y")


def test_csv_bundle_loads_in_batches(csv_path: Path) -> None:
    train_loader, val_loader = datasets.from_csv(csv_path, target="kind").loaders(32)
    x, y = next(iter(train_loader))
    assert x.shape == (32, 7) and y.shape == (32,)
    assert sum(len(y) for _, y in val_loader) == 40


def test_excel_byte_order_mark_and_latin1_text(tmp_path: Path) -> None:
    rows = ["city,temp,label"] + [
        f"{'Besançon' if i % 2 else 'Zürich'},{i},{i % 2}" for i in range(20)
    ]
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + "\n".join(rows).encode("utf-8"))
    bundle = datasets.from_csv(bom, target="label")
    assert bundle.feature_names == ["city=Besançon", "city=Zürich", "temp"]
    latin = tmp_path / "latin.csv"
    latin.write_bytes("\n".join(rows).encode("latin-1"))
    bundle = datasets.from_csv(latin, target="label")
    assert bundle.feature_names == ["city=Besançon", "city=Zürich", "temp"]


def _within(seconds: float, call):
    """``call()``'s result or exception, or AssertionError if it does not return in time (a
    reader blocked on a named pipe is then released by opening the pipe's other end)."""
    import threading

    outcome: list = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as error:  # noqa: BLE001 - handed back to the test
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return thread, outcome


@pytest.mark.parametrize("read", ["columns", "from_csv"])
def test_a_named_pipe_is_refused_at_once(tmp_path: Path, read: str) -> None:
    import os

    from dlstudio.datasets.csvfile import columns

    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    call = (lambda: columns(pipe)) if read == "columns" else (
        lambda: datasets.from_csv(pipe, target="y")
    )  # fmt: skip
    thread, outcome = _within(5.0, call)
    if thread.is_alive():
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))  # release the blocked reader
        pytest.fail("reading a named pipe blocked")
    assert isinstance(outcome[0], ValueError) and "not a regular file" in str(outcome[0])


def test_columns_read_only_the_header_row(tmp_path: Path, csv_path: Path) -> None:
    from dlstudio.datasets.csvfile import columns

    assert columns(csv_path) == ["id", "size", "color", "weight", "kind", "price", "rating"]
    odd = tmp_path / "odd.csv"
    odd.write_text("a; b;a;\n1;2;3;4\n", encoding="utf-8")
    assert columns(odd) == ["a", "b", "a.1", "Unnamed: 3"]  # the names pandas gives from_csv
    big = tmp_path / "big.csv"
    big.write_bytes(b"x,y\n" + b"1,2\n" * 8_000_000)  # 32 MB: only its first bytes are read
    import tracemalloc

    tracemalloc.start()
    try:
        assert columns(big) == ["x", "y"]
        assert tracemalloc.get_traced_memory()[1] < 4 * 2**20
    finally:
        tracemalloc.stop()
    no_header = tmp_path / "long.csv"
    no_header.write_bytes(b"x" * (2**20 + 10))
    with pytest.raises(ValueError, match="no header row in its first 1,048,576 bytes"):
        columns(no_header)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="empty.csv is empty"):
        columns(empty)
