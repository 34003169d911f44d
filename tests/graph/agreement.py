"""Do dlstudio and torch agree about one layer? The assertion every rule test makes.

``check`` asserts the contract of tests/graph/test_rules.py: an accepted layer runs in torch
with the inferred shape, dtype class and weight count; a refused layer is refused by torch too,
unless the refusal is one of the deliberate strictness cases ``deliberate`` lists, each with
its reason.
"""

from __future__ import annotations

import pytest

from tests.graph.helpers import BATCH, LAYER, Outcome, compare

UNBATCHED_FORM = {
    "Conv1d": 3,
    "Conv2d": 4,
    "ConvTranspose2d": 4,
    "MaxPool1d": 3,
    "MaxPool2d": 4,
    "AvgPool2d": 4,
    "AdaptiveAvgPool2d": 4,
    "RNN": 3,
    "LSTM": 3,
    "GRU": 3,
    "MultiheadAttention": 3,
    "TransformerEncoderLayer": 3,
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
    # Dropout2d on a non-image tensor: torch only warns and guesses which axis is channels.
    if op == "Dropout2d" and all_say("expects images shaped"):
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
    # normalized_shape reaching into the batch axis: torch normalises across samples then.
    if op == "LayerNorm" and all_say("besides the batch"):
        return True
    # An output with a size of 0: torch returns an empty tensor no later layer can use.
    if op == "ConvTranspose2d" and all_say("would produce an empty output"):
        return True
    # torch averages a tensor of any rank down to 1x1 through a shortcut, but refuses every
    # other output size there; dlstudio keeps AdaptiveAvgPool2d to images (N, C, H, W).
    global_average = params.get("output_size") in (1, (1, 1), [1, 1])
    if op == "AdaptiveAvgPool2d" and global_average and all_say("expects images shaped"):
        return True
    # Merging tensors of different ranks: torch broadcasts from the right, which silently
    # pairs the batch axis with a feature axis.
    return op in ("Add", "Multiply", "Concat") and all_say("same number of dimensions")


def check(op: str, params: dict, *shapes, dtype: str = "float", high: int = 5) -> Outcome:
    """Compare dlstudio and torch for one layer and assert they agree (see the module doc)."""
    outcome = compare(op, params, *shapes, dtype=dtype, high=high)
    where = f"{op}({params}) on {[list(s) for s in shapes]} {dtype}"
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
