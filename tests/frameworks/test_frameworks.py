"""The same graph in PyTorch, Keras 3 and Flax NNX: the written code runs in its framework,
holds PyTorch's weights, and computes PyTorch's outputs (within 1e-4) on random inputs given in
each framework's layout, for every catalog layer that has a counterpart and every template."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

from dlstudio import frameworks
from dlstudio.graph import Graph, examples
from dlstudio.graph.frameworks.common import NoCounterpart

pytest.importorskip("keras")
pytest.importorskip("flax")

IMAGE = (3, 10, 10)
SEQUENCE = (7, 6)

# (op, its parameters, the input's shape without the batch). Two-input layers read the input twice.
CASES: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("Linear", {"out_features": 5}, (12,)),
    ("Linear", {"out_features": 5, "bias": False}, SEQUENCE),
    ("Conv1d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, (3, 12)),
    ("Conv2d", {"out_channels": 4, "kernel_size": 3}, IMAGE),
    ("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, IMAGE),
    ("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 2, "stride": 2}, IMAGE),
    (
        "Conv2d",
        {"out_channels": 6, "kernel_size": 3, "groups": 3, "dilation": 2, "bias": False},
        IMAGE,
    ),
    ("Conv3d", {"out_channels": 2, "kernel_size": 2}, (2, 4, 4, 4)),
    ("MaxPool1d", {"kernel_size": 2}, (3, 12)),
    ("MaxPool2d", {"kernel_size": 3, "stride": 2}, IMAGE),
    ("AvgPool2d", {"kernel_size": 2}, IMAGE),
    ("AdaptiveAvgPool2d", {"output_size": 1}, IMAGE),
    ("AdaptiveAvgPool2d", {"output_size": 5}, IMAGE),
    ("AdaptiveMaxPool1d", {"output_size": 1}, (3, 12)),
    ("BatchNorm1d", {}, (12,)),
    ("BatchNorm2d", {"momentum": 0.2, "eps": 1e-3}, IMAGE),
    ("LayerNorm", {}, SEQUENCE),
    ("Dropout", {"p": 0.3}, (12,)),
    ("Dropout2d", {"p": 0.3}, IMAGE),
    ("Flatten", {}, IMAGE),
    ("Identity", {}, (12,)),
    *((name, {}, IMAGE) for name in ("ReLU", "ReLU6", "Sigmoid", "Tanh", "SiLU", "SELU", "Mish")),
    *((name, {}, (12,)) for name in ("Softsign", "Tanhshrink", "Hardswish", "Hardsigmoid", "GELU")),
    ("ELU", {"alpha": 0.5}, (12,)),
    ("LeakyReLU", {"negative_slope": 0.2}, IMAGE),
    ("Softplus", {}, (12,)),
    ("Softmax", {"dim": 1}, (12,)),
    ("Softmax", {"dim": 1}, IMAGE),
    ("LogSoftmax", {"dim": -1}, SEQUENCE),
    ("Add", {}, IMAGE),
    ("Multiply", {}, (12,)),
    ("Concat", {"dim": 1}, IMAGE),
    ("LSTM", {"hidden_size": 5}, SEQUENCE),
    ("LSTM", {"hidden_size": 5, "output": "last"}, SEQUENCE),
    ("GRU", {"hidden_size": 5}, SEQUENCE),
    ("RNN", {"hidden_size": 5}, SEQUENCE),
    ("Index", {"dim": 1, "index": -1}, SEQUENCE),
    ("ZeroPad2d", {"padding": [1, 2, 0, 3]}, IMAGE),
    ("ZeroPad1d", {"padding": 2}, (3, 12)),
    ("ReflectionPad2d", {"padding": 2}, IMAGE),
    ("ReplicationPad1d", {"padding": [1, 3]}, (3, 12)),
    ("ConstantPad2d", {"padding": 1, "value": 0.5}, IMAGE),
    ("Upsample", {"scale_factor": 2}, IMAGE),
    ("Reshape", {"shape": [3, 4]}, (12,)),
    ("Permute", {"dims": [0, 2, 1]}, SEQUENCE),
    ("Transpose", {"dim0": 1, "dim1": 2}, SEQUENCE),
    ("Mean", {"dim": [1], "keepdim": True}, SEQUENCE),
    ("Mean", {"dim": [2, 3]}, IMAGE),
    ("MatMul", {}, (6, 6)),
    ("GroupNorm", {"num_groups": 3}, (6, 5, 5)),
    ("InstanceNorm2d", {}, IMAGE),
    ("InstanceNorm1d", {"affine": True}, (3, 12)),
    ("Softplus", {"beta": 2.0}, (12,)),
    ("PReLU", {}, IMAGE),
    ("PReLU", {"num_parameters": 3}, IMAGE),
    ("Unflatten", {"dim": 1, "unflattened_size": [3, 4]}, (12,)),
    ("GLU", {"dim": -1}, (12,)),
    ("Hardtanh", {"min_val": -0.5, "max_val": 2.0}, (12,)),
    ("CELU", {}, (12,)),
    ("TransformerEncoderLayer", {"nhead": 2, "dim_feedforward": 10}, (5, 8)),
    (
        "TransformerEncoderLayer",
        {"nhead": 4, "dim_feedforward": 12, "activation": "gelu", "norm_first": True},
        (5, 8),
    ),
    ("ConvTranspose1d", {"out_channels": 4, "kernel_size": 3}, (3, 12)),
    ("ConvTranspose1d", {"out_channels": 4, "kernel_size": 3, "stride": 2, "dilation": 2}, (3, 12)),
    ("ConvTranspose2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, IMAGE),
    ("ConvTranspose2d", {"out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1}, IMAGE),
    (
        "ConvTranspose2d",
        {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1},
        IMAGE,
    ),
    (
        "ConvTranspose2d",
        {"out_channels": 2, "kernel_size": [3, 2], "stride": 3, "bias": False},
        IMAGE,
    ),
    ("ConvTranspose2d", {"out_channels": 2, "kernel_size": 3, "dilation": 2, "padding": 1}, IMAGE),
    ("ConvTranspose2d", {"out_channels": 6, "kernel_size": 3, "groups": 3}, IMAGE),
    ("ConvTranspose3d", {"out_channels": 2, "kernel_size": 2, "stride": 2}, (2, 3, 3, 3)),
    ("MultiheadAttention", {"num_heads": 2}, (5, 8)),
    ("MultiheadAttention", {"num_heads": 4, "bias": False, "dropout": 0.1}, (5, 8)),
    ("TransformerDecoderLayer", {"nhead": 2, "dim_feedforward": 10}, (5, 8)),
    (
        "TransformerDecoderLayer",
        {
            "nhead": 4,
            "dim_feedforward": 12,
            "activation": "gelu",
            "norm_first": True,
            "layer_norm_eps": 1e-3,
        },
        (5, 8),
    ),  # fmt: skip
    ("PReLU", {"num_parameters": 7, "init": 0.1}, SEQUENCE),
    ("AlphaDropout", {"p": 0.2}, (12,)),
    ("Expand", {}, SEQUENCE),
    ("PixelShuffle", {"upscale_factor": 2}, (12, 4, 5)),
    ("PixelUnshuffle", {"downscale_factor": 2}, (3, 4, 6)),
    ("Upsample", {"size": [20, 30], "scale_factor": None}, IMAGE),
    ("Upsample", {"scale_factor": 2, "mode": "bilinear"}, IMAGE),
    ("Upsample", {"size": [7, 15], "scale_factor": None, "mode": "bilinear"}, IMAGE),
    ("Upsample", {"scale_factor": 3, "mode": "linear"}, (3, 12)),
    ("Upsample", {"scale_factor": 2, "mode": "bicubic"}, IMAGE),
]
# Layers one framework cannot compute as PyTorch does, and the word its sentence names.
NOT_IN = {
    ("ReflectionPad2d", "keras"): "keras.ops.pad",
    ("ReplicationPad1d", "keras"): "keras.ops.pad",
    ("ConstantPad2d", "keras"): "keras.ops.pad",
}
# Cases only one of several settings of a layer hits: (op, framework, parameter, value).
NOT_WITH = {
    ("ConvTranspose2d", "keras", "groups", 3): "groups",
    ("ConvTranspose2d", "flax", "groups", 3): "groups",
    ("ConvTranspose1d", "keras", "dilation", 2): "dilates only with stride 1",
    ("Upsample", "keras", "mode", "linear"): "only repeats",
    ("Upsample", "keras", "mode", "bicubic"): "cubic kernel",
    ("Upsample", "flax", "mode", "bicubic"): "cubic kernel",
}


def one_layer(op: str, params: dict[str, Any], shape: tuple[int, ...]) -> Graph:
    graph = Graph()
    graph.add("Input", id="input", shape=list(shape))
    graph.add(op, id="layer", **params)
    graph.connect("input", "layer")
    if op in ("Add", "Multiply", "Concat", "MatMul", "TransformerDecoderLayer", "Expand"):
        graph.connect("input", "layer", port=1)
    graph.add("Output", id="output")
    graph.connect("layer", "output")
    assert graph.analyze().ok, graph.analyze().problems
    return graph


@pytest.mark.parametrize("framework", ["keras", "flax"])
@pytest.mark.parametrize(
    ("op", "params", "shape"), CASES, ids=lambda v: v if isinstance(v, str) else ""
)
def test_each_layer_computes_what_pytorch_computes(framework, op, params, shape) -> None:
    graph = one_layer(op, params, shape)
    refusal = NOT_IN.get((op, framework)) or next(
        (
            words
            for (o, f, k, v), words in NOT_WITH.items()
            if (o, f) == (op, framework) and params.get(k) == v
        ),
        None,
    )
    if refusal:
        with pytest.raises(ValueError, match=refusal):
            frameworks.verify(graph, framework)
        return
    check = frameworks.verify(graph, framework, module=perturbed(graph))
    assert check.ok, str(check)


def perturbed(graph: Graph) -> Any:
    """``graph``'s module with every weight and statistic moved off its initial value, so a
    weight the transfer forgot (a fresh one equal by chance) shows."""
    import torch

    torch.manual_seed(3)
    module = graph.build()
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)
        for name, buffer in module.named_buffers():
            if name.endswith("running_mean"):
                buffer.add_(torch.randn_like(buffer) * 0.1)
            elif name.endswith("running_var"):
                buffer.mul_(torch.rand_like(buffer) + 0.5)
    return module


@pytest.mark.parametrize("framework", ["keras", "flax"])
@pytest.mark.parametrize("template", examples.names())
def test_every_template_is_the_same_model_or_says_which_layer_is_missing(
    framework, template
) -> None:
    graph = examples.load(template)
    code = graph.to_code(framework=framework)
    compile(code, template, "exec")  # the shown code is valid Python in every case
    try:
        check = frameworks.verify(graph, framework)
    except ValueError as error:
        # The layers without a counterpart are named, with what to write instead, in the code too.
        sentence = str(error)
        assert "layer '" in sentence and ":" in sentence and sentence[:60] in code
        return
    assert check.ok, str(check)
    if template == "lstm_classifier":
        assert "fewer" in check.params_note  # PyTorch's second bias, said in words


@pytest.mark.parametrize("framework", ["keras", "flax"])
def test_a_block_used_at_two_widths_is_the_same_model(framework) -> None:
    graph = Graph()
    first = graph.add("Linear", after=graph.add("Input", shape=[8]), out_features=16)
    relu = graph.add("ReLU", after=first)
    widen = graph.add("Linear", after=relu, out_features=32)
    block = graph.group([first, relu], "Dense")
    graph.add("Output", after=graph.add("Dense", after=widen))
    assert graph.node(block).op == "Dense"
    check = frameworks.verify(graph, framework, module=perturbed(graph))
    assert check.ok, str(check)
    if framework == "flax":  # an NNX module's layers are made for one width: two classes
        code = graph.to_code(framework=framework)
        assert "class Dense(nnx.Module):" in code and "class Dense2(nnx.Module):" in code


def test_trained_weights_are_carried_over_not_fresh_ones() -> None:
    import torch

    graph = examples.load("lenet5")
    torch.manual_seed(1)
    module = graph.build()
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.mul_(1.5).add_(0.01)
    for framework in ("keras", "flax"):
        check = frameworks.verify(graph, framework, module=module)
        assert check.ok, str(check)


def test_keras_writes_sequential_for_a_chain_and_functional_where_it_branches() -> None:
    chain = examples.load("lenet5").to_code(framework="keras")
    assert "keras.Sequential(" in chain and "keras.Input(shape=(28, 28, 1)" in chain
    assert 'layers.Conv2D(6, 5, padding="same", name="conv1"),  # (N, 28, 28, 6)' in chain
    branching = examples.load("resnet_small").to_code(framework="keras")
    assert "keras.Model(inputs, x" in branching and "class ResBlock(layers.Layer):" in branching
    assert "out = self.add([out, x])" in branching


def test_flax_writes_an_nnx_module_with_explicit_rngs() -> None:
    code = examples.load("resnet_small").to_code(framework="flax")
    assert "class ResBlock(nnx.Module):" in code and "class Net(nnx.Module):" in code
    assert "def __init__(self, rngs: nnx.Rngs):" in code
    assert "self.block1 = ResBlock(rngs)" in code and "out = out + x" in code
    # Too long for one line: the arguments on one line of their own, as ruff format writes it.
    conv = 'nnx.Conv(\n            3, 16, kernel_size=(3, 3), padding="SAME", use_bias=False, rngs=rngs\n'
    assert f"self.stem_conv = {conv}        )\n" in code


def test_the_code_is_written_without_keras_or_jax_installed() -> None:
    script = textwrap.dedent(
        """
        import sys
        for name in ("keras", "jax", "flax"):
            sys.modules[name] = None  # any import of them fails
        from dlstudio.graph import examples
        graph = examples.load("lenet5")
        print(len(graph.to_code(framework="keras")) > 0, len(graph.to_code(framework="flax")) > 0)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "True True", done.stderr


def test_a_layer_without_counterpart_is_one_sentence_and_the_rest_is_still_written() -> None:
    graph = one_layer("LPPool2d", {"norm_type": 2, "kernel_size": 2}, IMAGE)
    graph.add("Flatten", id="flatten", after="layer")
    graph.add("Linear", id="fc", after="flatten", out_features=3)
    graph.remove("output")
    graph.add("Output", id="output", after="fc")
    code = graph.to_code(framework="keras")
    assert "# dlstudio does not write layer 'layer' (LPPool2d) in Keras yet:" in code
    assert 'layers.Dense(3, name="fc")' in code and "It does not build as it is" in code
    with pytest.raises(NoCounterpart, match="ceil_mode"):
        from dlstudio.graph.frameworks.keras_layers import keras_piece
        from dlstudio.graph.frameworks.program import Program

        pooled = one_layer("MaxPool2d", {"kernel_size": 3, "ceil_mode": True}, IMAGE)
        program = Program.of(pooled)
        keras_piece(program.steps[1], program.values["input"], program.values["layer"])


def test_padded_pooling_is_exact_where_zeros_are_what_pytorch_pads_with() -> None:
    average = one_layer("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, IMAGE)
    raw_max = one_layer("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, IMAGE)
    after_relu = Graph()
    after_relu.add("Input", id="input", shape=list(IMAGE))
    after_relu.add("ReLU", id="relu", after="input")
    after_relu.add("MaxPool2d", id="pool", after="relu", kernel_size=3, stride=2, padding=1)
    after_relu.add("Output", id="output", after="pool")
    for graph in (average, after_relu):
        for framework in ("keras", "flax"):
            assert frameworks.verify(graph, framework).ok
    # A max over values that may be negative: Flax pads with -inf as PyTorch does, Keras cannot.
    assert frameworks.verify(raw_max, "flax").ok
    with pytest.raises(ValueError, match="pad explicitly"):
        frameworks.verify(raw_max, "keras")
