"""A complete, runnable training script for what the Studio shows.

The script holds the generated model code (``graph.to_code()``), the data loading written out
(``data_source``: it needs torch and the data's own libraries, not dlstudio), and a plain
PyTorch training loop with the Studio's settings and seed. The loop visits the samples in the
same order as dlstudio's Trainer (the permutation of epoch ``e`` comes from
``seed * 1_000_003 + e``), so ``python script.py`` reaches the accuracy the Studio reached.
``ScriptParts`` are the pieces, which the distributed script (``ddp``) shares.

Example:
    >>> from dlstudio.graph import examples
    >>> from dlstudio.graph.adapt import fit_to_data
    >>> graph = fit_to_data(examples.load("mlp"), (1, 8, 8), 10)
    >>> settings = TrainingSettings(epochs=2)
    >>> source = training_script(graph, DataSpec("builtin", "digits"), settings)
    >>> compile(source, "train.py", "exec") is not None, "import dlstudio" in source
    (True, False)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from textwrap import dedent, indent, wrap
from typing import Any

from dlstudio.export.data_source import DataSource, data_source
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

BATCHES = '''
def count_batches(n, batch_size, shuffle):
    steps = -(-n // batch_size)
    if shuffle and steps > 1 and n % batch_size == 1:
        steps -= 1  # a last batch of one sample would break BatchNorm
    return steps


def epoch_order(n, epoch):
    """The sample order of ``epoch``: a permutation fixed by (SEED, epoch), as in the Studio."""
    generator = torch.Generator().manual_seed(SEED * 1_000_003 + epoch)
    return torch.randperm(n, generator=generator)


def batches(dataset, order, batch_size, shuffle=False, epoch=0):
    """(x, y) batches of ``dataset`` in ``order`` on DEVICE, as dlstudio's Trainer reads them."""
    steps = count_batches(len(order), batch_size, shuffle)
    chunks = [order[i * batch_size : (i + 1) * batch_size].tolist() for i in range(steps)]
    # Worker processes (if any) seed their random augmentations from this generator.
    generator = torch.Generator().manual_seed(SEED * 1_000_003 + epoch)
    loader = DataLoader(dataset, batch_sampler=chunks, num_workers=NUM_WORKERS, generator=generator)
    for x, y in loader:
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


def _input_shape(graph: Any) -> tuple[int, ...]:
    shapes = graph.infer_shapes()
    inputs = [node.id for node in graph.nodes if node.op == "Input"]
    return tuple(int(size) for size in shapes[inputs[0]][1:]) if inputs else ()


def import_block(lines: Iterable[str]) -> list[str]:
    """Import lines merged and sorted as ruff's isort does: the standard library, then the
    rest, each group's plain imports before its ``from`` imports.

    Example:
        >>> import_block(["import torch", "from pathlib import Path", "from torch import nn"])
        ['from pathlib import Path', '', 'import torch', 'from torch import nn']
    """
    plain: set[str] = set()
    names: dict[str, set[str]] = {}
    for line in lines:
        if line.startswith("from "):
            module, imported = line[5:].split(" import ")
            names.setdefault(module, set()).update(n.strip() for n in imported.split(","))
        else:
            plain.add(line)
    entries = [(False, line[7:].split(" ")[0], line) for line in plain]
    entries += [
        (True, module, f"from {module} import {', '.join(sorted(found, key=_name_order))}")
        for module, found in names.items()
    ]
    groups: list[list[str]] = [[], []]
    for is_from, module, line in sorted(entries, key=lambda e: (e[0], e[1].lower())):
        del is_from
        groups[module.split(".")[0] not in sys.stdlib_module_names].append(line)
    return [*groups[0], *([""] if groups[0] and groups[1] else []), *groups[1]]


def _name_order(name: str) -> tuple[int, str]:
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name


@dataclass(frozen=True)
class ScriptParts:
    """What every exported script holds: the model, its data, loss and evaluation."""

    data: DataSpec
    settings: TrainingSettings
    task: str
    class_name: str
    imports: tuple[str, ...]
    source: DataSource
    model_code: str
    loss_code: str
    evaluate_code: str

    @property
    def metric(self) -> str:
        return "val_accuracy" if self.task == "classification" else "val_mae"

    def header(self, title: str, usage: Iterable[str], imports: Iterable[str]) -> str:
        """The docstring, imports and constants; ``imports`` adds to the parts' own."""
        settings = self.settings
        workers = () if self.source.workers else ("NUM_WORKERS = 0  # the data is in memory",)
        lines = [
            *wrap(f'"""{title}', width=100),
            "",
            *usage,
            '"""',
            "",
            *import_block([*self.imports, *imports]),
            "",
            *self.source.constants,
            f"SEED = {settings.seed}",
            f"EPOCHS = {settings.epochs}",
            f"BATCH_SIZE = {settings.batch_size}",
            f"LR = {float(settings.lr)!r}",
            *workers,
        ]
        return "\n".join(lines)

    def optimizer_setup(self, steps_per_epoch: str) -> tuple[list[str], list[str], list[str]]:
        """Lines that make the optimizer and scheduler; those run after each step and epoch."""
        settings = self.settings
        schedule = SCHEDULER_CALLS.get(settings.scheduler)
        setup = [f"optimizer = {optimizer_call(settings.optimizer)}"]
        per_step: list[str] = []
        per_epoch: list[str] = []
        if schedule is not None:
            call, when = schedule
            if "TOTAL_STEPS" in call:
                setup.insert(0, f"TOTAL_STEPS = EPOCHS * {steps_per_epoch}")
            setup.append(f"scheduler = {call}")
            if when == "step":
                per_step.append("scheduler.step()")
            elif when == "epoch":
                per_epoch.append("scheduler.step()")
            else:
                per_epoch.append("scheduler.step(val_loss)")
        return setup, per_step, per_epoch


def script_parts(
    graph: Any,
    data: DataSpec | Mapping[str, Any],
    settings: TrainingSettings | Mapping[str, Any],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    task: str | None = None,
    num_classes: int | None = None,
    class_name: str = "Net",
) -> ScriptParts:
    """The pieces of a script (arguments as ``training_script``'s)."""
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
    source = data_source(data, _input_shape(graph), data_dir, task)
    return ScriptParts(
        data=data,
        settings=settings,
        task=task,
        class_name=class_name,
        imports=(
            *imports,
            *source.imports,
            "import torch",
            "import torch.nn.functional as F",
            "from torch.utils.data import DataLoader",
        ),
        source=source,
        model_code=model_code,
        loss_code=_loss_source(loss_name, task, out_features, num_classes),
        evaluate_code=_evaluate_source(task),
    )


def join_blocks(blocks: Iterable[str]) -> str:
    """Top-level blocks two blank lines apart, as a file."""
    return "\n\n\n".join(block.strip("\n") for block in blocks) + "\n"


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
    parts = script_parts(
        graph,
        data,
        settings,
        data_dir=data_dir,
        task=task,
        num_classes=num_classes,
        class_name=class_name,
    )
    header = parts.header(
        f"Train {parts.class_name} on {_what(parts.data)}, exported from the dlstudio Studio.",
        [
            "Run it with `python <this file>`: it prints the loss and validation "
            f"{parts.metric[4:]} of each",
            "epoch. Same data split, settings and seed as the Studio run, so the same result.",
        ],
        [],
    )
    device = 'DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")'
    return join_blocks(
        [
            f"{header}\n{device}",
            parts.model_code,
            parts.source.code,
            BATCHES,
            parts.loss_code,
            parts.evaluate_code,
            _main_source(parts),
            'if __name__ == "__main__":\n    main()',
        ]
    )


def _what(data: DataSpec) -> str:
    if data.source == "builtin":
        return data.name
    return f"the images in {data.path}" if data.source == "folder" else data.path


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
            for x, y in batches(dataset, torch.arange(len(dataset)), BATCH_SIZE):
                output = model(x)
                total += loss_fn(output, y).item() * len(y)
        {metric}
            model.train()
            return total / len(dataset), right / len(dataset)
        '''
    ).strip("\n")


# The Trainer reads two samples to check the model before training: with random augmentation
# those reads draw from torch's generator, so the script reads them too, at the same moment.
FIRST_SAMPLES = [
    "first = torch.stack([train_data[i][0] for i in range(2)])  # two samples, as the Studio",
    "print(",
    '    f"{len(train_data)} training, {len(val_data)} validation samples of shape "',
    '    f"{tuple(first.shape[1:])}"',
    ")",
]


def _main_source(parts: ScriptParts) -> str:
    setup, per_step, per_epoch = parts.optimizer_setup(
        "count_batches(len(train_data), BATCH_SIZE, True)"
    )
    loop = [
        "for epoch in range(EPOCHS):",
        "    total, count = 0.0, 0",
        "    order = epoch_order(len(train_data), epoch)",
        "    for x, y in batches(train_data, order, BATCH_SIZE, shuffle=True, epoch=epoch):",
        "        loss = loss_fn(model(x), y)",
        "        optimizer.zero_grad(set_to_none=True)",
        "        loss.backward()",
        "        optimizer.step()",
        *(f"        {line}" for line in per_step),
        "        total += loss.item() * len(y)",
        "        count += len(y)",
        "    val_loss, val_metric = evaluate(model, val_data)",
        *(f"    {line}" for line in per_epoch),
        "    print(",
        '        f"epoch {epoch + 1}/{EPOCHS}: loss {total / count:.4f}, "',
        f'        f"val_loss {{val_loss:.4f}}, {parts.metric} {{val_metric:.4f}}"',
        "    )",
        f'print(f"final {parts.metric}: {{val_metric:.4f}}")',
    ]
    body = [
        "train_data, val_data = load_data()",
        "torch.manual_seed(SEED)  # the weights start from the same random values as in the Studio",
        f"model = {parts.class_name}().to(DEVICE)",
        *FIRST_SAMPLES,
        "model.train()",
        *setup,
        "",
        *loop,
    ]
    return "def main():\n" + indent("\n".join(body), "    ").replace("    \n", "\n")
