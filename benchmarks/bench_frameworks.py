"""Training steps per second for the same model in PyTorch, Keras 3 and Flax NNX on this CPU.

The MLP and LeNet-5 templates fitted to digits (1,438 training images: 45 steps of batch 32 an
epoch), cross-entropy, Adam at 1e-3, each framework running the code dlstudio writes:

- ``pytorch loop``: ``graph.build()`` in a plain loop (permute, index, forward, backward,
  step): the baseline every ratio is taken against.
- ``dlstudio Trainer``: ``Trainer.fit()``; the time from an epoch's start to its last step
  (the validation pass after it is left out, as the others have none).
- ``keras fit (torch)``, ``keras fit (jax)``: ``model.fit(x, y, batch_size=32)`` on the model
  ``keras_script`` writes, each backend in a subprocess of this file (Keras picks its backend
  once, at import).
- ``flax nnx.jit``: the ``@nnx.jit`` train step ``flax_script`` writes, over the same batches;
  ``flax jax.jit``: the same step on ``nnx.split`` state under plain ``jax.jit`` (what Flax's
  guide suggests when ``nnx.jit``'s per-call Python work shows on small models).

The first epoch is warm-up (Keras builds its train function, JAX compiles the step for both
batch shapes): its seconds are reported on their own, from the first round (a fresh model, and
for Keras a fresh process); steps/s come from the other epochs. Everything runs on one thread
(``torch.set_num_threads(1)``, XLA's CPU client without its Eigen thread pool), so the figures
compare the frameworks and not how each one spreads work over 2 cores. ROUNDS rounds, in
rotating order; the median is reported.

    python benchmarks/bench_frameworks.py   # prints a table, writes benchmarks/results/frameworks.json
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dlstudio.frameworks import flax_script, keras_script  # noqa: E402
from dlstudio.graph import Graph, examples  # noqa: E402
from dlstudio.graph.adapt import fit_to_data  # noqa: E402
from dlstudio.session import DataSpec  # noqa: E402
from dlstudio.train import Callback, Trainer  # noqa: E402
from dlstudio.train.settings import TrainingSettings  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "frameworks.json"
TEMPLATES = ("mlp", "lenet5")
BATCH_SIZE = 32
LR = 1e-3
EPOCHS = 4  # the first is warm-up
ROUNDS = 5
SETTINGS = TrainingSettings(epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR)
LOOP = "pytorch loop"
KERAS_BACKENDS = ("torch", "jax")
# Read when JAX is first imported (later, here and in the Keras subprocesses): one thread.
ONE_THREAD = {
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    "OMP_NUM_THREADS": "1",
}

# Each run gives the seconds of every epoch's training steps.
Run = Callable[[], list[float]]


def graph_of(template: str) -> Graph:
    return fit_to_data(examples.load(template), (1, 8, 8), 10)


def script_namespace(source: str, name: str) -> dict[str, Any]:
    """A generated script's functions (its ``main`` not run)."""
    namespace: dict[str, Any] = {"__name__": f"bench_{name}"}
    exec(compile(source, name, "exec"), namespace)  # our own generated script
    return namespace


# ---- PyTorch ---------------------------------------------------------------------------------


def torch_loop(graph: Graph, x: torch.Tensor, y: torch.Tensor) -> Run:
    def run() -> list[float]:
        torch.manual_seed(0)
        model = graph.build()
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
        generator = torch.Generator().manual_seed(0)
        seconds = []
        for _ in range(EPOCHS):
            start = time.perf_counter()
            order = torch.randperm(len(x), generator=generator)
            for first in range(0, len(x), BATCH_SIZE):
                chosen = order[first : first + BATCH_SIZE]
                loss = F.cross_entropy(model(x[chosen]), y[chosen])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            seconds.append(time.perf_counter() - start)
        return seconds

    return run


class StepClock(Callback):
    """The time from each epoch's start to its last optimizer step."""

    def __init__(self) -> None:
        self.starts: list[float] = []
        self.last: list[float] = []

    def on_epoch_start(self, trainer, epoch) -> None:
        self.starts.append(time.perf_counter())
        self.last.append(self.starts[-1])

    def on_step_end(self, trainer, step_info) -> None:
        self.last[-1] = time.perf_counter()


def trainer_run(graph: Graph, bundle) -> Run:
    def run() -> list[float]:
        clock = StepClock()
        trainer = Trainer(graph, bundle, **SETTINGS.trainer_kwargs(), device="cpu",
                          callbacks=[clock])  # fmt: skip
        trainer.fit()
        return [end - start for start, end in zip(clock.starts, clock.last, strict=True)]

    return run


# ---- Flax ------------------------------------------------------------------------------------


def flax_runs(graph: Graph) -> dict[str, Run]:
    import jax
    import optax
    from flax import nnx

    script = script_namespace(flax_script(graph, SETTINGS), "train_flax.py")
    (x, y), _ = script["load_data"]()

    def fresh() -> tuple[Any, Any]:
        model = script["Net"](nnx.Rngs(0))
        model.train()
        return model, nnx.Optimizer(model, optax.adam(LR), wrt=nnx.Param)

    def epochs(step: Callable[[Any, Any], Any]) -> list[float]:
        seconds = []
        for epoch in range(EPOCHS):
            start = time.perf_counter()
            order = np.random.default_rng(epoch).permutation(len(x))
            loss = None
            for xb, yb in script["batches"](x, y, order, BATCH_SIZE, shuffle=True):
                loss = step(xb, yb)
            jax.block_until_ready(loss)
            seconds.append(time.perf_counter() - start)
        return seconds

    def nnx_jit() -> list[float]:
        model, optimizer = fresh()
        return epochs(lambda xb, yb: script["train_step"](model, optimizer, xb, yb))

    @jax.jit
    def pure_step(graphdef, state, xb, yb):
        model, optimizer = nnx.merge(graphdef, state)
        loss, grads = nnx.value_and_grad(script["loss_fn"])(model, xb, yb)
        optimizer.update(model, grads)
        return loss, nnx.state((model, optimizer))

    def split_jit() -> list[float]:
        graphdef, state = nnx.split(fresh())
        box = [state]

        def step(xb, yb):
            loss, box[0] = pure_step(graphdef, box[0], xb, yb)
            return loss

        return epochs(step)

    return {"flax nnx.jit": nnx_jit, "flax jax.jit": split_jit}


# ---- Keras (in a subprocess per backend) -----------------------------------------------------


def keras_child(backend: str) -> None:
    """Train each template once with Keras on ``backend``; print each one's epoch seconds."""
    os.environ["KERAS_BACKEND"] = backend
    torch.set_num_threads(1)
    import keras

    class EpochClock(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None) -> None:
            self.seconds.append(time.perf_counter() - self.start)

    result = {}
    for template in TEMPLATES:
        script = script_namespace(keras_script(graph_of(template), SETTINGS), "train_keras.py")
        (x, y), _ = script["load_data"]()
        keras.utils.set_random_seed(0)
        model = script["build_net"]()
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=LR, epsilon=1e-8),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        clock = EpochClock()
        model.fit(x, y, batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=True, verbose=0,
                  callbacks=[clock])  # fmt: skip
        result[template] = clock.seconds
    print(json.dumps({"backend": backend, "keras": keras.__version__, "seconds": result}))


def keras_round(backend: str) -> dict[str, list[float]]:
    done = subprocess.run([sys.executable, __file__, "--keras", backend], capture_output=True,
                          text=True, timeout=600, env={**os.environ, **ONE_THREAD})  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


# ---- the table -------------------------------------------------------------------------------


def main() -> None:
    os.environ.update(ONE_THREAD)
    torch.set_num_threads(1)
    bundle = DataSpec().load()
    x, y = bundle.train[torch.arange(len(bundle.train))]
    runs: dict[str, dict[str, Run]] = {}
    for template in TEMPLATES:
        graph = graph_of(template)
        runs[template] = {
            LOOP: torch_loop(graph, x, y),
            "dlstudio Trainer": trainer_run(graph, bundle),
            **flax_runs(graph),
        }
    variants = [*runs[TEMPLATES[0]], *(f"keras fit ({b})" for b in KERAS_BACKENDS)]
    seconds: dict[str, dict[str, list[list[float]]]] = {
        t: {v: [] for v in variants} for t in TEMPLATES
    }
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for round_ in range(ROUNDS):
        turn = round_ % len(variants)
        for variant in variants[turn:] + variants[:turn]:
            if variant.startswith("keras"):
                by_template = keras_round(variant[len("keras fit (") : -1])
                for template in TEMPLATES:
                    seconds[template][variant].append(by_template[template])
            else:
                for template in TEMPLATES:
                    seconds[template][variant].append(runs[template][variant]())
        print(f"round {round_ + 1}/{ROUNDS} done")

    steps = -(-len(x) // BATCH_SIZE)
    rows = []
    for template in TEMPLATES:
        rates = {
            v: statistics.median(steps * (EPOCHS - 1) / sum(r[1:]) for r in rounds)
            for v, rounds in seconds[template].items()
        }
        for variant, rounds in seconds[template].items():
            rows.append(
                {
                    "model": template,
                    "variant": variant,
                    "steps_per_s": round(rates[variant], 1),
                    "ratio_to_pytorch_loop": round(rates[variant] / rates[LOOP], 3),
                    "ms_per_step": round(1000 / rates[variant], 3),
                    "first_epoch_s": round(rounds[0][0], 3),
                }
            )
    print(
        f"\n{'model':8} {'variant':19} {'steps/s':>9} {'ratio':>7} {'ms/step':>8} {'1st epoch s':>12}"
    )
    for row in rows:
        print(
            f"{row['model']:8} {row['variant']:19} {row['steps_per_s']:9.1f} "
            f"{row['ratio_to_pytorch_loop']:7.3f} {row['ms_per_step']:8.3f} "
            f"{row['first_epoch_s']:12.3f}"
        )
    import flax
    import jax
    import optax

    result = {
        "benchmark": "training steps per second, the same model in PyTorch, Keras 3 and Flax NNX",
        "machine": f"{platform.machine()}, {platform.python_version()}, 2-core sandbox, 1 thread",
        "baseline": "the plain PyTorch loop in the same run (ratios above 1: faster than it)",
        "setup": {
            "data": "digits, 1,438 training images",
            "batch_size": BATCH_SIZE,
            "steps_per_epoch": steps,
            "optimizer": f"adam, lr {LR}",
            "epochs": EPOCHS,
            "warm_up": "first epoch, reported as first_epoch_s (first round)",
            "rounds": ROUNDS,
        },
        "versions": {
            "torch": torch.__version__,
            "jax": jax.__version__,
            "flax": flax.__version__,
            "optax": optax.__version__,
            "keras": _keras_version(),
        },  # fmt: skip
        "rows": rows,
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


def _keras_version() -> str:
    from importlib.metadata import version

    return version("keras")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--keras"]:
        keras_child(sys.argv[2])
    else:
        main()
