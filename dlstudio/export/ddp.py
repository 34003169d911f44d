"""A training script for several processes: ``torchrun --nproc_per_node=N train_ddp.py``.

It shares the standalone script's parts (``script.script_parts``: model, data written out, loss,
evaluation, batches) and adds the distributed run: ``torch.distributed`` over gloo on CPUs or
nccl on GPUs (one per process, ``LOCAL_RANK``), the model wrapped in DistributedDataParallel
(or sharded by FSDP2's ``fully_shard`` with ``fsdp=True``; that works over gloo on CPUs too),
each process training on its shard of the same seeded permutation as the single-process script
(a DistributedSampler with ``set_epoch``: padded to a multiple of the world size, every
``WORLD_SIZE``-th index), ``BATCH_SIZE`` samples per step over all processes, gradients
averaged by DDP, and rank 0 printing the loss and validation metric and writing the weights to
``CHECKPOINT`` after each epoch (a temporary file, then an atomic rename). At the end every rank
reports a fingerprint of its full parameters (rank 0 prints them all); they are equal when
the replicas agree.

Run it on one machine:

    torchrun --nproc_per_node=4 train_ddp.py

Under Slurm, one torchrun per node (it starts one process per GPU):

    #SBATCH --nodes=2 --ntasks-per-node=1 --gpus-per-node=4
    head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
    srun torchrun --nnodes=$SLURM_NNODES --nproc_per_node=4 \\
        --rdzv_backend=c10d --rdzv_endpoint=$head:29500 train_ddp.py

On Kubernetes, a Kubeflow PyTorchJob sets the rendezvous variables for torchrun:

    apiVersion: kubeflow.org/v1
    kind: PyTorchJob
    metadata: {name: train-net}
    spec:
      nprocPerNode: "4"
      pytorchReplicaSpecs:
        Master:
          replicas: 1
          template:
            spec:
              containers:
                - name: pytorch
                  image: <an image with torch and this script>
                  command: [torchrun, train_ddp.py]
        Worker:
          replicas: 1
          template: <the same as Master's>

Example:
    >>> from dlstudio.graph import examples
    >>> from dlstudio.graph.adapt import fit_to_data
    >>> graph = fit_to_data(examples.load("mlp"), (1, 8, 8), 10)
    >>> source = ddp_script(graph, DataSpec("builtin", "digits"), TrainingSettings(epochs=2))
    >>> "DistributedDataParallel(model" in source, "import dlstudio" in source
    (True, False)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from textwrap import indent
from typing import Any

from dlstudio.export.script import BATCHES, ScriptParts, join_blocks, script_parts
from dlstudio.session.data import DataSpec
from dlstudio.train.settings import TrainingSettings

_DISTRIBUTED = '''
def shard(order):
    """This process's share of ``order``, as DistributedSampler takes it: padded with its first
    indices to a multiple of the world size, then every WORLD_SIZE-th index from RANK."""
    world = dist.get_world_size()
    padded = torch.cat([order, order[: -len(order) % world]])
    return padded[dist.get_rank() :: world]


def save_checkpoint(model, path):
    """The full weights in ``path``, written by rank 0: a temporary file, then a rename, so a
    crash never leaves half a file."""
    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    state = get_model_state_dict(model, options=options)  # every rank takes part
    if dist.get_rank() == 0:
        torch.save(state, path + ".tmp")
        os.replace(path + ".tmp", path)


def fingerprint(model):
    """A digest of the full parameters: the same on every rank when the replicas agree."""
    digest = hashlib.sha256()
    for parameter in model.parameters():
        digest.update(parameter{full}.detach().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]
'''


def ddp_script(
    graph: Any,
    data: DataSpec | Mapping[str, Any],
    settings: TrainingSettings | Mapping[str, Any],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    task: str | None = None,
    num_classes: int | None = None,
    class_name: str = "Net",
    fsdp: bool = False,
) -> str:
    """The source of ``train_ddp.py``: ``graph`` trained on ``data`` with ``settings`` by
    several processes under torchrun (arguments as ``training_script``'s; ``fsdp`` shards the
    parameters with FSDP2 instead of replicating them with DDP).

    Example:
        >>> source = ddp_script(graph, DataSpec(), TrainingSettings(), fsdp=True)  # doctest: +SKIP
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
    wrapper = (
        "from torch.distributed.fsdp import fully_shard"
        if fsdp
        else "from torch.nn.parallel import DistributedDataParallel"
    )
    how = "FSDP2 (fully_shard)" if fsdp else "DistributedDataParallel"
    header = parts.header(
        f"Train {parts.class_name} with {how} -- exported from the dlstudio Studio.",
        [
            "Run it with `torchrun --nproc_per_node=N <this file>` (N processes: one per GPU, or",
            "CPU processes over gloo). Rank 0 prints the loss and validation "
            f"{parts.metric[4:]} of each",
            "epoch and writes the weights to CHECKPOINT.",
        ],
        [
            "import hashlib",
            "import os",
            "import torch.distributed as dist",
            "from torch.distributed.checkpoint.state_dict import StateDictOptions",
            "from torch.distributed.checkpoint.state_dict import get_model_state_dict",
            wrapper,
        ],
    )
    device = [
        'LOCAL_RANK = int(os.environ.get("LOCAL_RANK", 0))  # set by torchrun',
        "CUDA = torch.cuda.is_available()",
        'DEVICE = torch.device("cuda", LOCAL_RANK) if CUDA else torch.device("cpu")',
        'CHECKPOINT = "checkpoint.pt"',
    ]
    return join_blocks(
        [
            "\n".join([header, *device]),
            parts.model_code,
            parts.source.code,
            BATCHES,
            _DISTRIBUTED.replace("{full}", ".full_tensor()" if fsdp else ""),
            parts.loss_code,
            parts.evaluate_code,
            _main_source(parts, fsdp),
            'if __name__ == "__main__":\n    main()',
        ]
    )


def _main_source(parts: ScriptParts, fsdp: bool) -> str:
    setup, per_step, per_epoch = parts.optimizer_setup(
        "count_batches(-(-len(train_data) // world), batch_size, True)"
    )
    wrap = (
        ["fully_shard(model)  # FSDP2: parameters sharded over the ranks, gathered per use"]
        if fsdp
        else ["model = DistributedDataParallel(model, device_ids=[LOCAL_RANK] if CUDA else None)"]
    )
    loop = [
        "for epoch in range(EPOCHS):",
        "    total, count = 0.0, 0",
        "    order = shard(epoch_order(len(train_data), epoch))  # a new permutation each epoch",
        "    for x, y in batches(train_data, order, batch_size, shuffle=True, epoch=epoch):",
        "        loss = loss_fn(model(x), y)",
        "        optimizer.zero_grad(set_to_none=True)",
        "        loss.backward()  # the gradients are averaged over the ranks here",
        "        optimizer.step()",
        *(f"        {line}" for line in per_step),
        "        total += loss.item() * len(y)",
        "        count += len(y)",
        "    sums = torch.tensor([total, count], dtype=torch.float64, device=DEVICE)",
        "    dist.all_reduce(sums)  # the training loss over all ranks",
        "    val_loss, val_metric = evaluate(model, val_data)  # every rank: the same numbers",
        *(f"    {line}" for line in per_epoch),
        "    save_checkpoint(model, CHECKPOINT)",
        "    if rank == 0:",
        "        print(",
        '            f"epoch {epoch + 1}/{EPOCHS}: loss {sums[0] / sums[1]:.4f}, "',
        f'            f"val_loss {{val_loss:.4f}}, {parts.metric} {{val_metric:.4f}}"',
        "        )",
        "fingerprints = [None] * world",
        "dist.all_gather_object(fingerprints, fingerprint(model))",
        "if rank == 0:",
        f'    print(f"final {parts.metric}: {{val_metric:.4f}}")',
        "    for other, digest in enumerate(fingerprints):",
        '        print(f"rank {other} parameters {digest}")',
        "dist.destroy_process_group()",
    ]
    body = [
        'dist.init_process_group("nccl" if CUDA else "gloo")',
        "if CUDA:",
        "    torch.cuda.set_device(DEVICE)",
        "rank, world = dist.get_rank(), dist.get_world_size()",
        "train_data, val_data = load_data()",
        "torch.manual_seed(SEED)  # the same initial weights on every rank",
        f"model = {parts.class_name}().to(DEVICE)",
        *wrap,
        "model.train()",
        "batch_size = max(1, BATCH_SIZE // world)  # BATCH_SIZE samples per step over all ranks",
        *setup,
        "",
        *loop,
    ]
    return "def main():\n" + indent("\n".join(body), "    ").replace("    \n", "\n")
