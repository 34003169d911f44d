"""Do dlstudio and torch agree about one layer? The assertion every rule test makes.

``check`` asserts the contract of tests/graph/test_rules.py: an accepted layer runs in torch
with the inferred shape, dtype class and weight count; a refused layer is refused by torch too,
unless the refusal is one of the deliberate strictness cases ``deliberate`` lists, each with
its reason. ``check_with_parameter`` does the same for a Parameter, which takes no input, fed
into a layer beside an Input.
"""

from __future__ import annotations

import pytest

from dlstudio.graph.tensors import product
from tests.graph.helpers import (
    BATCH,
    LAYER,
    PARAMETER,
    Outcome,
    compare,
    compare_with_parameter,
)

UNBATCHED_FORM = {
    **{
        f"{op}{n}d": n + 2
        for op in ("Conv", "ConvTranspose", "MaxPool", "AvgPool")
        for n in (1, 2, 3)
    },
    **{f"Adaptive{op}Pool{n}d": n + 2 for op in ("Avg", "Max") for n in (1, 2, 3)},
    **{f"InstanceNorm{n}d": n + 2 for n in (1, 2, 3)},
    "LPPool2d": 4,
    "Dropout1d": 3,
    "PixelShuffle": 4,
    "PixelUnshuffle": 4,
    "RNN": 3,
    "LSTM": 3,
    "GRU": 3,
    "MultiheadAttention": 3,
    "TransformerEncoderLayer": 3,
    "TransformerDecoderLayer": 3,
}
"""Layers torch also runs without a batch axis, and the batched rank dlstudio uses."""


def deliberate(op: str, params: dict, shapes: tuple, dtype: str, outcome: Outcome) -> bool:
    """dlstudio refuses some graphs torch would run, on purpose; each case says why.

    Only a refusal whose every problem matches one of these counts as deliberate.
    """
    messages = [problem.message for problem in outcome.problems]

    def all_say(*phrases: str) -> bool:
        return all(any(phrase in message for phrase in phrases) for message in messages)

    # Folding, splitting or joining along the batch dimension gives a model whose output
    # depends on the batch size: torch allows it, training code never wants it.
    if op == "Flatten" and all_say("would fold the batch dimension"):
        return True
    if op == "Unflatten" and all_say("cannot split the batch dimension"):
        return True
    if op == "Concat" and all_say("cannot join along the batch dimension"):
        return True
    # Integer token ids only flow into layers that treat them as ids (Embedding) or move
    # them around unchanged; torch happily computes ReLU or a sum of ids, a learner's mistake.
    if dtype == "long" and all_say("needs floating-point input"):
        return True
    # Dropout2d/3d on a tensor of another rank: torch only warns and guesses which axis is
    # channels.
    if op == "Dropout2d" and all_say("expects images shaped"):
        return True
    if op == "Dropout3d" and all_say("expects volumes shaped"):
        return True
    # Halving the batch (GLU's dim 0): the output would depend on the batch size.
    if op == "GLU" and all_say("would halve the batch dimension"):
        return True
    # Constant padding of a tensor with too few dimensions pads the batch axis too.
    if op.startswith(("ZeroPad", "ConstantPad")) and all_say(" but receives ("):
        return True
    # torch's unbatched form (one dimension fewer than usual) treats the batch axis as channels
    # or time steps; every dlstudio tensor has a batch axis first, so that form is refused.
    batched = UNBATCHED_FORM.get(op)
    rank = len(shapes[0]) + 1
    if batched is not None and rank + 1 == batched and all_say(" but receives ("):
        return True
    # A declared size that disagrees with its input is refused even where torch never reads
    # it: GroupNorm without affine weights ignores num_channels, but the graph would lie.
    if op == "GroupNorm" and not params.get("affine", True) and all_say("expects"):
        return True
    # The same for InstanceNorm without affine weights or running statistics (torch warns).
    if op.startswith("InstanceNorm") and all_say("channels but receives"):
        return True
    # normalized_shape reaching into the batch axis: torch normalises across samples then.
    if op == "LayerNorm" and all_say("besides the batch"):
        return True
    # An output with a size of 0: torch returns an empty tensor no later layer can use.
    if op.startswith("ConvTranspose") and all_say("would produce an empty output"):
        return True
    # torch averages a tensor of many ranks down to 1x1 through a shortcut, but refuses every
    # other output size there; dlstudio keeps AdaptiveAvgPool2d to images (N, C, H, W), and
    # 3d to volumes.
    size = params.get("output_size", 1)
    global_average = all(side == 1 for side in (size if isinstance(size, list | tuple) else [size]))
    if op.startswith("AdaptiveAvgPool") and global_average and all_say(" shaped "):
        return True
    # Averaging, swapping, reordering or indexing the batch dimension: the output of one
    # sample would depend on the others (Mean dim=0, Transpose dim0=0, Permute not starting
    # with 0, Index dim=0).
    batch_ops = {
        "Mean": "would average over the batch dimension",
        "Transpose": "would swap the batch dimension",
        "Permute": "moves the batch dimension",
        "Index": "would index the batch dimension",
    }
    if op in batch_ops and all_say(batch_ops[op]):
        return True
    # An empty range (Index start=5 on a size 4): torch returns an empty tensor, as above.
    if op == "Index" and all_say("keeps nothing of dimension"):
        return True
    # Merging tensors of different ranks: torch broadcasts from the right, which silently
    # pairs the batch axis with a feature axis (MatMul: multiplies a matrix by every sample's).
    merges = ("Add", "Multiply", "Concat", "MatMul")
    return op in merges and all_say("same number of dimensions")


def check(op: str, params: dict, *shapes, dtype: str = "float", high: int = 5) -> Outcome:
    """Compare dlstudio and torch for one layer and assert they agree (see the module doc)."""
    outcome = compare(op, params, *shapes, dtype=dtype, high=high)
    where = f"{op}({params}) on {[list(s) for s in shapes]} {dtype}"
    return _agree(op, params, shapes, dtype, outcome, where)


def check_with_parameter(
    op: str, shape: int | list[int], sample: list[int], dtype: str = "float"
) -> Outcome:
    """``check`` for a Parameter of ``shape`` that op combines with an Input (``with_parameter``).

    An accepted graph's only weights are the Parameter's: prod(shape), as torch counts them.
    """
    outcome = compare_with_parameter(op, shape, sample, dtype)
    where = f"{op} of Input {sample} {dtype} and Parameter {shape}"
    _agree(op, {}, (sample, shape), dtype, outcome, where)
    if outcome.accepted:
        count = product(shape if isinstance(shape, list) else [shape])
        assert outcome.analysis.weights[PARAMETER] == count == outcome.weights, where
    return outcome


def _agree(
    op: str, params: dict, shapes: tuple, dtype: str, outcome: Outcome, where: str
) -> Outcome:
    """The contract of the module doc, for the node ``LAYER`` of a compared graph."""
    if outcome.accepted:
        spec = outcome.analysis.specs[LAYER]
        assert spec.shape[0] is None, where
        assert outcome.out is not None
        assert tuple(outcome.out.shape) == (BATCH, *spec.shape[1:]), (
            f"{where}: dlstudio infers {spec.shape}, torch gives {tuple(outcome.out.shape)}"
        )
        is_float = outcome.out.dtype.is_floating_point
        assert is_float == (spec.dtype == "float"), f"{where}: dtype {outcome.out.dtype}"
        assert outcome.weights == outcome.analysis.param_count, (
            f"{where}: dlstudio counts {outcome.analysis.param_count:,} weights, "
            f"torch has {outcome.weights:,}"
        )
        return outcome
    assert {problem.node_id for problem in outcome.problems} == {LAYER}, (
        f"{where}: problems not on the layer: {outcome.problems}"
    )
    title = f"{op} '{LAYER}'"
    assert all(problem.message.startswith(title) for problem in outcome.problems), (
        f"{where}: a message does not name the layer: {outcome.problems}"
    )
    if outcome.torch_error is None and not deliberate(op, params, shapes, dtype, outcome):
        shape = None if outcome.out is None else tuple(outcome.out.shape)
        pytest.fail(f"{where}: dlstudio refuses ({outcome.problems}) but torch gives {shape}")
    return outcome
