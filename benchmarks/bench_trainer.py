"""Trainer.fit() against the same training loop written by hand in plain PyTorch.

Both sides train the same model (built from the same graph with the same seed) on the same data,
batch size and optimizer, with a validation pass (loss + accuracy) after every epoch. Variants run
interleaved, round after round, so background load hits them alike; the ratio reported is the
median over rounds of ``trainer time / hand-loop time``. Time is measured twice: wall clock, and
the CPU time of the training thread (``time.thread_time``, torch runs on one thread here), which
other processes on a shared machine disturb far less; the targets are checked on CPU time.

Two hand loops: ``hand`` reads batches the way the Trainer does (one indexing call per batch
on the in-memory data set), so the ratio is the Trainer's own overhead; ``hand+DataLoader`` uses
``bundle.loaders()`` as a typical script would. Targets (against ``hand``): at most 3% on a small
CNN, at most 10% on a tiny MLP where per-step overhead dominates.

    python benchmarks/bench_trainer.py      # prints a table, writes benchmarks/results/trainer.json
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from _graphs import small_cnn
from torch import nn

from dlstudio import Graph, datasets
from dlstudio.train import Callback, ProgressTracker, Trainer

ROUNDS = 31
SEED = 0


class LossCurve(Callback):
    """What the live loss plot does per step: keep the loss for drawing."""

    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_step_end(self, trainer, step_info) -> None:
        self.losses.append(step_info["loss"])


def tiny_mlp() -> Graph:
    g = Graph()
    x = g.add("Input", shape=[2])
    x = g.add("Linear", after=x, out_features=16)
    x = g.add("ReLU", after=x)
    x = g.add("Linear", after=x, out_features=2)
    g.add("Output", after=x)
    return g


def hand_loop(model: nn.Module, bundle, epochs: int, batch_size: int, lr: float) -> float:
    """Plain PyTorch: shuffle, one indexing call per batch, Adam, validate each epoch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    train, val = bundle.train, bundle.val
    generator = torch.Generator().manual_seed(SEED)
    accuracy = 0.0
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(train), generator=generator)
        for start in range(0, len(train), batch_size):
            x, y = train[order[start : start + batch_size]]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        model.eval()
        total, correct = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(val), batch_size):
                x, y = val[torch.arange(start, min(start + batch_size, len(val)))]
                out = model(x)
                total = total + loss_fn(out, y) * len(y)
                correct = correct + (out.argmax(1) == y).sum()
        accuracy = float(correct) / len(val)
        _val_loss = float(total) / len(val)
    return accuracy


def hand_loop_dataloader(
    model: nn.Module, bundle, epochs: int, batch_size: int, lr: float
) -> float:
    """The same loop over ``bundle.loaders()`` (torch DataLoaders)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    train_loader, val_loader = bundle.loaders(batch_size=batch_size, seed=SEED)
    accuracy = 0.0
    for _ in range(epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        model.eval()
        total, correct = 0.0, 0
        with torch.no_grad():
            for x, y in val_loader:
                out = model(x)
                total = total + loss_fn(out, y) * len(y)
                correct = correct + (out.argmax(1) == y).sum()
        accuracy = float(correct) / len(val_loader.dataset)
    return accuracy


def run_variants(graph: Graph, bundle, epochs: int, batch_size: int, lr: float) -> dict:
    def fresh_model() -> nn.Module:
        torch.manual_seed(SEED)
        return graph.build()

    def trainer_fit(callbacks: list[Callback]) -> Callable[[], tuple[float, float]]:
        def run() -> float:
            trainer = Trainer(
                graph, bundle, lr=lr, epochs=epochs, batch_size=batch_size, device="cpu",
                seed=SEED, callbacks=callbacks,
            )  # fmt: skip
            start, cpu = time.perf_counter(), time.thread_time()
            trainer.fit()
            return time.perf_counter() - start, time.thread_time() - cpu

        return run

    def timed(loop) -> Callable[[], tuple[float, float]]:
        def run() -> float:
            model = fresh_model()
            start, cpu = time.perf_counter(), time.thread_time()
            loop(model, bundle, epochs, batch_size, lr)
            return time.perf_counter() - start, time.thread_time() - cpu

        return run

    variants = {
        "hand": timed(hand_loop),
        "hand+DataLoader": timed(hand_loop_dataloader),
        "Trainer": trainer_fit([]),
        "Trainer+progress": trainer_fit([]),  # callbacks replaced per round below
    }
    wall: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for name in names:  # warm-up: first calls allocate and import
        variants[name]()
    for round_ in range(ROUNDS):
        tracker = ProgressTracker(on_update=lambda snapshot: None)
        variants["Trainer+progress"] = trainer_fit([tracker, LossCurve()])
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            seconds, cpu_seconds = variants[name]()
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
    steps = epochs * -(-len(bundle.train) // batch_size)

    def summary(times: dict[str, list[float]]) -> dict:
        hand = statistics.median(times["hand"])
        return {
            "median_seconds": {name: statistics.median(ts) for name, ts in times.items()},
            "ratio_to_hand": {
                name: statistics.median(t / h for t, h in zip(ts, times["hand"], strict=True))
                for name, ts in times.items()
            },
            "per_step_overhead_us": {
                name: (statistics.median(ts) - hand) / steps * 1e6 for name, ts in times.items()
            },
        }

    return {"epochs": epochs, "batch_size": batch_size, "steps": steps,
            "cpu": summary(cpu), "wall": summary(wall)}  # fmt: skip


def main() -> None:
    torch.set_num_threads(1)  # small models: threads add contention, not speed, on 2 cores
    cases = {
        "small CNN, digits": (small_cnn(), datasets.load("digits"), 3, 32, 3e-3, 0.03),
        "tiny MLP, spirals": (tiny_mlp(), datasets.load("spirals"), 8, 32, 1e-2, 0.10),
    }
    results = {}
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    header = f"{'case':<20}{'variant':<18}{'cpu s':>8}{'ratio':>7}{'us/step':>9}"
    print(header + f"{'wall s':>9}{'ratio':>7}")
    for case, (graph, bundle, epochs, batch_size, lr, target) in cases.items():
        result = run_variants(graph, bundle, epochs, batch_size, lr)
        result["target_overhead"] = target
        result["within_target"] = result["cpu"]["ratio_to_hand"]["Trainer"] <= 1 + target
        results[case] = result
        for name in result["cpu"]["median_seconds"]:
            c, w = result["cpu"], result["wall"]
            print(
                f"{case:<20}{name:<18}{c['median_seconds'][name]:>8.4f}"
                f"{c['ratio_to_hand'][name]:>7.3f}{c['per_step_overhead_us'][name]:>9.1f}"
                f"{w['median_seconds'][name]:>9.4f}{w['ratio_to_hand'][name]:>7.3f}"
            )
        verdict = "OK" if result["within_target"] else "OVER"
        print(f"{'':<20}target: Trainer/hand CPU time <= {1 + target:.2f}: {verdict}")
    out = Path(__file__).resolve().parent / "results" / "trainer.json"
    out.parent.mkdir(exist_ok=True)
    meta = {
        "torch": torch.__version__,
        "threads": 1,
        "rounds": ROUNDS,
        "machine": platform.machine(),
    }
    out.write_text(json.dumps({"meta": meta, "cases": results}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
