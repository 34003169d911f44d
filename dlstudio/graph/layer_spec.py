"""What one catalog entry holds: a layer's parameters, shape rule and how code calls it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dlstudio.graph import rules
from dlstudio.graph.params import Param

CATEGORIES = (
    "core",
    "convolution",
    "pooling",
    "normalisation",
    "activation",
    "recurrent",
    "attention",
    "merge",
    "reshape",
    "custom",
)

Counter = Callable[[dict[str, Any]], int]


@dataclass(frozen=True)
class LayerSpec:
    """Everything dlstudio knows about one kind of node."""

    name: str
    category: str
    doc: str
    params: tuple[Param, ...]
    rule: rules.Rule | None
    """The shape rule; None runs the module on the meta device instead (custom layers)."""
    torch: str | None = None
    """The constructor the generated code calls (``nn.Conv2d``); None for functional ops."""
    positional: tuple[str, ...] = ()
    """Arguments written positionally, as people do by hand: ``nn.Conv2d(1, 6, 5)``."""
    fixed: tuple[tuple[str, Any], ...] = ()
    """Arguments always passed, not shown in the editor (``batch_first=True``)."""
    emit: str = "module"
    """How forward() uses it; the code generator has one writer per kind."""
    inputs: int = 1
    variadic: bool = False
    outputs: int = 1
    accepts_long: bool = False
    count: Counter | None = None
    module_class: type | None = None
    """For a custom layer, the nn.Module subclass the generated code imports and calls."""

    def param(self, name: str) -> Param | None:
        return self._by_name.get(name)

    @property
    def _by_name(self) -> dict[str, Param]:
        cached = self.__dict__.get("_param_index")
        if cached is None:
            cached = {param.name: param for param in self.params}
            object.__setattr__(self, "_param_index", cached)
        return cached

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "category": self.category,
            "doc": self.doc,
            "torch": self.torch,
            "inputs": self.inputs,
            "variadic": self.variadic,
            "outputs": self.outputs,
            "params": [param.to_dict() for param in self.params],
        }

    def weights(self, params: dict[str, Any]) -> int:
        """Number of trainable parameters for fully resolved ``params``."""
        return self.count(params) if self.count else 0
