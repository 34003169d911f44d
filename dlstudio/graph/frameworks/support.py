"""Classes the written code carries for layers a framework builds from smaller parts: PyTorch's
``nn.TransformerEncoderLayer`` as a Keras layer and a Flax module, computing what PyTorch does
(attention and a feed-forward network, each added to its input and normalised, before or after).

Example:
    >>> "class TransformerEncoderLayer(layers.Layer):" in SUPPORT["keras"]["TransformerEncoderLayer"]
    True
"""

from __future__ import annotations

from dlstudio.graph.frameworks.program import Program

KERAS_TRANSFORMER = '''\
class TransformerEncoderLayer(layers.Layer):
    """PyTorch's nn.TransformerEncoderLayer: self-attention, then a feed-forward network,
    each added to its input and normalised (after, or before with norm_first)."""

    def __init__(self, d_model, nhead, dim_feedforward, dropout=0.1, activation="relu",
                 norm_first=False, **kwargs):
        super().__init__(**kwargs)
        self.norm_first = norm_first
        self.self_attn = layers.MultiHeadAttention(nhead, d_model // nhead, dropout=dropout)
        self.linear1 = layers.Dense(dim_feedforward, activation=activation)
        self.linear2 = layers.Dense(d_model)
        self.norm1 = layers.LayerNormalization(epsilon=1e-5)
        self.norm2 = layers.LayerNormalization(epsilon=1e-5)
        self.dropout = layers.Dropout(dropout)

    def _attend(self, x, training):
        return self.dropout(self.self_attn(x, x, training=training), training=training)

    def _feed_forward(self, x, training):
        hidden = self.dropout(self.linear1(x), training=training)
        return self.dropout(self.linear2(hidden), training=training)

    def call(self, x, training=None):
        if self.norm_first:
            x = x + self._attend(self.norm1(x), training)
            return x + self._feed_forward(self.norm2(x), training)
        x = self.norm1(x + self._attend(x, training))
        return self.norm2(x + self._feed_forward(x, training))
'''

FLAX_TRANSFORMER = '''\
class TransformerEncoderLayer(nnx.Module):
    """PyTorch's nn.TransformerEncoderLayer: self-attention, then a feed-forward network,
    each added to its input and normalised (after, or before with norm_first)."""

    def __init__(self, d_model, nhead, dim_feedforward, dropout=0.1, activation="relu",
                 norm_first=False, *, rngs: nnx.Rngs):
        self.norm_first = norm_first
        self.exact_gelu = activation == "gelu"  # PyTorch's GELU is the exact one
        self.self_attn = nnx.MultiHeadAttention(
            nhead, d_model, dropout_rate=dropout, decode=False, rngs=rngs
        )
        self.linear1 = nnx.Linear(d_model, dim_feedforward, rngs=rngs)
        self.linear2 = nnx.Linear(dim_feedforward, d_model, rngs=rngs)
        self.norm1 = nnx.LayerNorm(d_model, epsilon=1e-5, rngs=rngs)
        self.norm2 = nnx.LayerNorm(d_model, epsilon=1e-5, rngs=rngs)
        self.dropout = nnx.Dropout(dropout, rngs=rngs)

    def _feed_forward(self, x):
        hidden = self.linear1(x)
        if self.exact_gelu:
            hidden = jax.nn.gelu(hidden, approximate=False)
        else:
            hidden = jax.nn.relu(hidden)
        hidden = self.dropout(hidden)
        return self.dropout(self.linear2(hidden))

    def __call__(self, x):
        if self.norm_first:
            x = x + self.dropout(self.self_attn(self.norm1(x)))
            return x + self._feed_forward(self.norm2(x))
        x = self.norm1(x + self.dropout(self.self_attn(x)))
        return self.norm2(x + self._feed_forward(x))
'''

SUPPORT: dict[str, dict[str, str]] = {
    "keras": {"TransformerEncoderLayer": KERAS_TRANSFORMER},
    "flax": {"TransformerEncoderLayer": FLAX_TRANSFORMER},
}


def support_classes(program: Program, framework: str) -> list[str]:
    """The source lines of the classes ``program``'s layers need in ``framework``, each after
    two blank lines."""
    needed = sorted(_ops(program) & set(SUPPORT[framework]))
    lines: list[str] = []
    for op in needed:
        lines += ["", "", *SUPPORT[framework][op].rstrip().splitlines()]
    return lines


def _ops(program: Program) -> set[str]:
    ops = set()
    for step in program.steps:
        ops.add(step.node.op)
        if step.block is not None:
            ops |= _ops(step.block)
    return ops
