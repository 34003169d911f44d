"""``python``: the model's generated source (``model.py``) and its weights as safetensors.

Checking it needs no ``exec`` of the file: its text must equal the code that builds the graph's
module, and the weights file, read back, must fill that module to compute what the model does.
"""

from __future__ import annotations

from pathlib import Path

from safetensors.torch import load_file, save_file
from torch import nn

from dlstudio.export.formats import Written, module_predict
from dlstudio.export.source import Exportable, ExportError
from dlstudio.graph import Graph

FILE = "model.py"
WEIGHTS = "weights.safetensors"
RUNTIME = "PyTorch: the generated module, with its weights from safetensors"
IMPORTS = ["import torch", "from safetensors.torch import load_file", "", "from model import Net"]
PREDICT = module_predict(
    'model = Net()\nmodel.load_state_dict(load_file(HERE / "weights.safetensors"))\nmodel.eval()'
)


def write(item: Exportable, folder: Path) -> Written:
    if item.graph is None:
        raise ExportError(
            "The python format writes the model's generated code, and a module given as it is "
            "has none: choose torchscript, pt2 or onnx."
        )
    write_model_files(item.graph, item.model, folder)
    return Written(FILE, details={"weights": WEIGHTS})


def write_model_files(graph: Graph, model: nn.Module, folder: Path) -> None:
    """``model.py`` (the graph's code) and ``weights.safetensors`` (``model``'s state)."""
    (folder / FILE).write_text(graph.to_code("Net"), encoding="utf-8")
    state = {
        name: tensor.detach().clone().contiguous() for name, tensor in model.state_dict().items()
    }
    save_file(state, str(folder / WEIGHTS))


def load(folder: Path, item: Exportable) -> nn.Module:
    assert item.graph is not None
    if (folder / FILE).read_text(encoding="utf-8") != item.graph.to_code("Net"):
        raise ExportError(f"{folder / FILE} is not the code of this model (it was changed).")
    model = item.graph.build()
    model.load_state_dict(load_file(str(folder / WEIGHTS)))
    return model.eval()
