"""Each example's generated module computes what a hand-written PyTorch model computes.

The references below are written the way a PyTorch user writes these models (torchvision's
BasicBlock, torch's TransformerEncoder, functional activations); the generated module's weights
and buffers are loaded into them under explicitly mapped names, and outputs must agree.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from dlstudio.graph import examples


class MLP(nn.Module):
    def __init__(self, in_features: int = 64, num_classes: int = 10):
        super().__init__()
        self.fc1 = nn.Linear(in_features, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class LeNet5(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.avg_pool2d(torch.tanh(self.conv1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = torch.tanh(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return self.fc3(x)


class BasicBlock(nn.Module):
    """torchvision's BasicBlock without downsampling."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


class ResNetSmall(nn.Module):
    def __init__(self, width: int = 16, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(BasicBlock(width), BasicBlock(width))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer1(x)
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


class LSTMClassifier(nn.Module):
    def __init__(self, vocab: int = 1000, embed: int = 32, hidden: int = 64, classes: int = 2):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embedding(tokens))
        return self.fc(out[:, -1])


class TransformerClassifier(nn.Module):
    def __init__(self, vocab: int = 1000, d_model: int = 64, length: int = 16, classes: int = 2):
        super().__init__()
        self.embedding = nn.Embedding(vocab, d_model)
        layer = nn.TransformerEncoderLayer(d_model, 4, dim_feedforward=128, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.fc = nn.Linear(length * d_model, classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.encoder(self.embedding(tokens))
        return self.fc(x.flatten(1))


class FineTuned(nn.Module):
    """torchvision's ResNet-18 as a frozen feature extractor under a new head."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.backbone = torchvision.models.resnet18()
        self.backbone.fc = nn.Identity()
        self.backbone.requires_grad_(False)
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(512, num_classes)

    def train(self, mode: bool = True) -> FineTuned:
        super().train(mode)
        self.backbone.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.backbone(x)))


# example -> (reference, sample input, generated name prefix -> reference name prefix)
REFERENCES: dict[str, tuple[Callable[[], nn.Module], Callable[[], torch.Tensor], dict]] = {
    "mlp": (
        MLP,
        lambda: torch.randn(4, 1, 8, 8),
        {"classifier.1.": "fc1.", "classifier.3.": "fc2.", "classifier.5.": "fc3."},
    ),
    "lenet5": (
        LeNet5,
        lambda: torch.randn(4, 1, 28, 28),
        {
            "features.0.": "conv1.",
            "features.3.": "conv2.",
            "classifier.1.": "fc1.",
            "classifier.3.": "fc2.",
            "classifier.5.": "fc3.",
        },
    ),
    "resnet_small": (
        ResNetSmall,
        lambda: torch.randn(4, 3, 32, 32),
        {"stem.0.": "conv1.", "stem.1.": "bn1.", "block1.": "layer1.0.", "block2.": "layer1.1."},
    ),
    "lstm_classifier": (LSTMClassifier, lambda: torch.randint(0, 1000, (4, 20)), {}),
    "transformer_encoder": (TransformerClassifier, lambda: torch.randint(0, 1000, (4, 16)), {}),
    "finetune": (FineTuned, lambda: torch.randn(4, 3, 64, 64), {}),
}


def _renamed(key: str, prefixes: dict[str, str]) -> str:
    for old, new in prefixes.items():
        if key.startswith(old):
            return new + key[len(old) :]
    return key


def _randomised(model: nn.Module) -> dict[str, torch.Tensor]:
    """A state with every weight and statistic away from its initial value."""
    state = {}
    for key, value in model.state_dict().items():
        if not value.is_floating_point():
            state[key] = value
        elif key.endswith("running_var"):
            state[key] = torch.rand_like(value) + 0.5
        else:
            state[key] = torch.randn_like(value) * 0.2
    return state


def test_every_example_has_a_reference() -> None:
    assert sorted(REFERENCES) == sorted(examples.names())


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_generated_module_computes_what_the_hand_written_one_does(name: str) -> None:
    make_reference, make_input, prefixes = REFERENCES[name]
    torch.manual_seed(0)
    graph = examples.load(name)
    generated, reference = graph.build(), make_reference()
    state = _randomised(generated)
    generated.load_state_dict(state)
    # strict: every generated name maps onto a reference name and nothing is left over.
    reference.load_state_dict({_renamed(key, prefixes): value for key, value in state.items()})
    assert sum(p.numel() for p in reference.parameters()) == graph.param_count()
    x = make_input()
    with torch.no_grad():
        torch.testing.assert_close(generated.eval()(x), reference.eval()(x))
    # Training mode too (batch statistics, dropout drawn from the same seed).
    outputs = []
    for model in (generated.train(), reference.train()):
        torch.manual_seed(1)
        outputs.append(model(x))
    torch.testing.assert_close(*outputs)
