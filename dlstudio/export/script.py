"""A complete, runnable training script for what the Studio shows.

The script holds the generated model code (``graph.to_code()``), the data loading call, and a
plain PyTorch training loop with the Studio's settings and seed. The loop visits the samples
in the same order as dlstudio's Trainer (the permutation of epoch ``e`` comes from
``seed * 1_000_003 + e``), so ``python script.py`` reaches the accuracy the Studio reached.

Example:
    >>> from dlstudio.graph import examples
    >>> from dlstudio.graph.adapt import fit_to_data
    >>> graph = fit_to_data(examples.load("mlp"), (1, 8, 8), 10)
    >>> settings = TrainingSettings(epochs=2)
    >>> source = training_script(graph, DataSpec("builtin", "digits"), settings)
    >>> compile(source, "train.py", "exec") is not None
    True
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from textwrap import dedent, indent
from typing import Any

from dlstudio.session.data import DataSpec
from dlstudio.train.losses import canonical_loss_name, loss_function
from dlstudio.train.optim import optimizer_recipe
from dlstudio.train.settings import TrainingSettings

# (constructor, when it steps) -- the same defaults as dlstudio.train.optim.make_schedule;
# a test checks that every scheduler choice but "none" has its line here.
SCHEDULER_CALLS = {
    "step": (
        "torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, EPOCHS // 3), gamma=0.1)",
        "epoch",
    ),
    "cosine": ("torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=TOTAL_STEPS)", "step"),
    "onecycle": (
        "torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, total_steps=TOTAL_STEPS)",
        "step",
    ),
    "plateau": (
        "torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', factor=0.1, patience=2)",
        "plateau",
    ),
}

_BATCHES = '''
def count_batches(n, batch_size, shuffle):
    steps = -(-n // batch_size)
    if shuffle and steps > 1 and n % batch_size == 1:
        steps -= 1  # a last batch of one sample would break BatchNorm
    return steps


def batches(dataset, batch_size, epoch=None):
    """(x, y) batches; shuffled by (SEED, epoch) when epoch is given, as dlstudio's Trainer does."""
    n = len(dataset)
    if epoch is None:
        order = torch.arange(n)
    else:
        generator = torch.Generator().manual_seed(SEED * 1_000_003 + epoch)
        order = torch.randperm(n, generator=generator)
    for i in range(count_batches(n, batch_size, shuffle=epoch is not None)):
        items = [dataset[j] for j in order[i * batch_size : (i + 1) * batch_size].tolist()]
        x = torch.stack([item[0] for item in items])
        y = torch.stack([torch.as_tensor(item[1]) for item in items])
        yield x.to(DEVICE), y.to(DEVICE)
'''


def optimizer_call(name: str) -> str:
    """The line that makes the optimizer ``name``: the Trainer's own class and defaults.

    Example:
        >>> optimizer_call("sgd")
        'torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)'
    """
    cls, defaults = optimizer_recipe(name)
    options = "".join(f", {key}={value!r}" for key, value in defaults.items())
    return f"torch.optim.{cls.__name__}(model.parameters(), lr=LR{options})"


def _loss_source(name: str, task: str, out_features: int, num_classes: int | None) -> str:
    """``def loss_fn(output, target)`` and ``def predict(output)`` for the resolved loss."""
    fn = f"F.{loss_function(name).__name__}"
    if task == "regression":
        body = [
            "    if output.shape != target.shape:",
            "        output = output.reshape(target.shape)",
            f"    return {fn}(output, target)",
        ]
    elif name == "cross_entropy":
        body = [f"    return {fn}(output, target)"]
    elif out_features == 1:
        body = [f"    return {fn}(output.reshape(target.shape), target.to(output.dtype))"]
    else:
        body = [f"    return {fn}(output, F.one_hot(target, {num_classes}).to(output.dtype))"]
    source = "\n".join(["def loss_fn(output, target):", *body])
    if task == "classification":
        rule = "(output.reshape(-1) > 0).long()" if out_features == 1 else "output.argmax(dim=1)"
        source += f"\n\n\ndef predict(output):\n    return {rule}"
    return source


def _split_imports(code: str) -> tuple[list[str], str]:
    lines = code.splitlines()
    imports = [line for line in lines if line.startswith(("import ", "from "))]
    body = "\n".join(line for line in lines if line not in imports).strip("\n")
    return imports, body


def _output_features(graph: Any) -> int:
    shapes = graph.infer_shapes()
    outputs = [node.id for node in graph.nodes if node.op == "Output"]
    shape = shapes[outputs[0]] if outputs else list(shapes.values())[-1]
    features = 1
    for size in shape[1:]:
        features *= int(size)
    return features


def training_script(
    graph: Any,
    data: DataSpec | Mapping[str, Any],
    settings: TrainingSettings | Mapping[str, Any],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    task: str | None = None,
    num_classes: int | None = None,
    class_name: str = "Net",
) -> str:
    """The source of a script that trains ``graph`` on ``data`` with ``settings``.

    ``data`` and ``settings`` may be JSON objects (checked like a session file);
    ``task`` and ``num_classes`` describe the data (read from the loaded bundle when omitted);
    ``data_dir`` is where CSV files and image folders live (the script's own folder otherwise).
    Raises GraphError while the graph has problems, SettingsError for a bad setting.

    Example:
        >>> source = training_script(graph, DataSpec(), TrainingSettings())  # doctest: +SKIP
        >>> Path("train.py").write_text(source)  # doctest: +SKIP
    """
    if not isinstance(data, DataSpec):
        data = DataSpec.from_dict(data)
    if not isinstance(settings, TrainingSettings):
        settings = TrainingSettings.from_dict(settings)
    if task is None:
        bundle = data.load(data_dir or ".")
        task, num_classes = bundle.task, bundle.num_classes
    imports, model_code = _split_imports(graph.to_code(class_name=class_name))
    out_features = _output_features(graph)
    loss_name = canonical_loss_name(settings.loss, task, out_features, num_classes)
    metric = "accuracy" if task == "classification" else "mae"
    stdlib = ["from pathlib import Path"] if data.source != "builtin" else []
    third_party = sorted({*imports, "import torch", "import torch.nn.functional as F"})
    header = [
        f'"""Train {class_name} on {data.describe()} -- exported from the dlstudio Studio.',
        "",
        f"Run it with `python <this file>`: it prints the loss and validation {metric} of each",
        "epoch. Same data split, settings and seed as the Studio run, so the same result.",
        '"""',
        "",
        *(stdlib + [""] if stdlib else []),
        *sorted(third_party, key=lambda line: (line.startswith("from"), line)),
        "",
        "from dlstudio import datasets  # the same split and standardisation as in the Studio",
        "",
    ]
    if data.source != "builtin":
        folder = Path(data_dir).resolve().as_posix() if data_dir else None
        where = f"Path({folder!r})" if folder else "Path(__file__).resolve().parent"
        header.append(f"DATA_DIR = {where}  # where the data file or folder lives")
    header += [
        f"SEED = {settings.seed}",
        f"EPOCHS = {settings.epochs}",
        f"BATCH_SIZE = {settings.batch_size}",
        f"LR = {float(settings.lr)!r}",
        'DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")',
    ]
    blocks = [
        "\n".join(header),
        model_code,
        _BATCHES.strip("\n"),
        _loss_source(loss_name, task, out_features, num_classes),
        _evaluate_source(task),
        _main_source(data, settings, class_name, task),
        'if __name__ == "__main__":\n    main()',
    ]
    return "\n\n\n".join(block.strip("\n") for block in blocks) + "\n"


def _evaluate_source(task: str) -> str:
    metric = (
        "        right += (predict(output) == y).sum().item()"
        if task == "classification"
        else "        right += (output.reshape(y.shape) - y).abs().mean().item() * len(y)"
    )
    name = "accuracy" if task == "classification" else "mae"
    return dedent(
        f'''
        @torch.no_grad()
        def evaluate(model, dataset):
            """Validation loss and {name} (the model in eval mode: no dropout)."""
            model.eval()
            total, right = 0.0, 0.0
            for x, y in batches(dataset, BATCH_SIZE):
                output = model(x)
                total += loss_fn(output, y).item() * len(y)
        {metric}
            model.train()
            return total / len(dataset), right / len(dataset)
        '''
    ).strip("\n")


def _main_source(data: DataSpec, settings: TrainingSettings, class_name: str, task: str) -> str:
    metric = "val_accuracy" if task == "classification" else "val_mae"
    schedule = SCHEDULER_CALLS.get(settings.scheduler)
    setup = [f"optimizer = {optimizer_call(settings.optimizer)}"]
    per_step, per_epoch = [], []
    if schedule is not None:
        call, when = schedule
        if "TOTAL_STEPS" in call:
            setup.insert(
                0, "TOTAL_STEPS = EPOCHS * count_batches(len(bundle.train), BATCH_SIZE, True)"
            )
        setup.append(f"scheduler = {call}")
        if when == "step":
            per_step.append("scheduler.step()")
        elif when == "epoch":
            per_epoch.append("scheduler.step()")
        else:
            per_epoch.append("scheduler.step(val_loss)")
    loop = [
        "for epoch in range(EPOCHS):",
        "    total, count = 0.0, 0",
        "    for x, y in batches(bundle.train, BATCH_SIZE, epoch):",
        "        loss = loss_fn(model(x), y)",
        "        optimizer.zero_grad(set_to_none=True)",
        "        loss.backward()",
        "        optimizer.step()",
        *(f"        {line}" for line in per_step),
        "        total += loss.item() * len(y)",
        "        count += len(y)",
        "    val_loss, val_metric = evaluate(model, bundle.val)",
        *(f"    {line}" for line in per_epoch),
        "    print(",
        '        f"epoch {epoch + 1}/{EPOCHS}: loss {total / count:.4f}, "',
        f'        f"val_loss {{val_loss:.4f}}, {metric} {{val_metric:.4f}}"',
        "    )",
        f'print(f"final {metric}: {{val_metric:.4f}}")',
    ]
    body = [
        f"bundle = {data.loader_call()}",
        "torch.manual_seed(SEED)  # the weights start from the same random values as in the Studio",
        f"model = {class_name}().to(DEVICE)",
        "model.train()",
        *setup,
        "",
        *loop,
    ]
    return "def main():\n" + indent("\n".join(body), "    ").replace("    \n", "\n")
