"""The shared base of the attribution methods, and what ``explain`` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from torch import Tensor, nn

# Budget of input values per internal forward pass: 4M floats (16 MB) of inputs. Activations
# scale with it, so big images get small internal batches and tabular rows large ones.
INPUT_VALUES_PER_PASS = 1 << 22


class ExplainCancelled(RuntimeError):
    """Raised inside ``explain`` when its ``cancel`` event is set; nothing is returned."""


class ExplainError(ValueError):
    """A request ``explain`` cannot serve (unknown method, wrong layer, unsupported input)."""


def internal_batch_size(inputs: Tensor, budget: int = INPUT_VALUES_PER_PASS) -> int:
    """How many scaled copies of a sample fit in one forward pass: ``budget`` input values.

    Example:
        >>> import torch
        >>> internal_batch_size(torch.zeros(4, 3, 224, 224))
        27
    """
    per_sample = max(1, inputs[0].numel() if len(inputs) else 1)
    return max(1, budget // per_sample)


class Method:
    """One attribution method: which Captum class does the work and with which defaults.

    Subclasses set the class attributes and override ``algorithm`` (and ``defaults``, or
    ``finish`` for methods whose raw attributions are not shaped like the inputs).
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    has_delta: ClassVar[bool] = False
    """Whether Captum returns a convergence delta (``return_convergence_delta``)."""
    uses_baselines: ClassVar[bool] = False
    batch_option: ClassVar[str | None] = None
    """Captum's name for the internal batching option, if the method has one."""
    token_inputs: ClassVar[bool] = False
    """Whether integer inputs (token ids) are supported, through the embedding layer."""
    needs_layer: ClassVar[bool] = False
    renamed: ClassVar[dict[str, str]] = {}
    """Our option name -> Captum's, where Captum's clashes with ``explain``'s own arguments."""

    def algorithm(self, model: nn.Module, layer: nn.Module | None) -> Any:
        raise NotImplementedError

    def defaults(self, inputs: Tensor) -> dict[str, Any]:
        """Options passed to Captum's ``attribute`` unless the caller gives them."""
        return {}

    def finish(self, attributions: Tensor, inputs: Tensor) -> Tensor:
        """Turn Captum's result into attributions shaped like ``inputs``."""
        if attributions.shape != inputs.shape and attributions.shape[:-1] == inputs.shape:
            return attributions.sum(dim=-1)  # per token: summed over the embedding features
        return attributions


@dataclass
class Explanation:
    """What ``explain`` found for a batch of inputs.

    ``attributions`` is shaped like the inputs; ``delta`` is Captum's convergence delta where
    the method has one (None otherwise): one per sample, or for GradientShap one per sample and
    random draw (``n_samples`` each); ``target`` the explained class per sample;
    ``probabilities`` the class probabilities (N, C) from the model's outputs (two columns for a
    single logit: see ``dlstudio.train.outputs.class_probabilities``); ``options`` the exact keyword
    arguments given to Captum's ``attribute`` (so the call can be repeated on Captum directly).
    """

    method: str
    attributions: Tensor
    target: Tensor | None
    probabilities: Tensor
    delta: Tensor | None = None
    options: dict[str, Any] = field(default_factory=dict)
    layer: str | None = None
    layer_attributions: Tensor | None = None
    completeness: dict[str, Any] | None = None

    @property
    def completeness_text(self) -> str | None:
        """Integrated Gradients' completeness check in words (None for other methods)."""
        c = self.completeness
        if c is None:
            return None
        total, change, gap = c["attribution_sum"], c["output_change"], c["gap"]
        what = "the model's output" if c["target"] is None else f"the score of class {c['target']}"
        verdict = (
            "they agree, so the attributions account for the whole change"
            if c["ok"]
            else "they disagree: raise n_steps for a closer approximation"
        )  # fmt: skip
        return (
            f"The attributions add up to {total:.4g}; {what} went from {c['baseline_output']:.4g} at the baseline to {c['input_output']:.4g} at "
            f"the input, a change of {change:.4g}. The gap is {abs(gap):.2g} "
            f"({c['relative_gap']:.1%} of the change): {verdict}."
        )
