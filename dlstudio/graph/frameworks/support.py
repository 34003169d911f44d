"""Classes the written code carries for layers a framework builds from smaller parts: PyTorch's
``nn.TransformerEncoderLayer`` and ``nn.TransformerDecoderLayer`` as Keras layers and Flax modules
(attention and a feed-forward network, each added to its input and normalised, before or after),
and what one framework lacks: ``x.expand`` in Keras, PyTorch's GRU cell and AlphaDropout in Flax.

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

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward,
        dropout=0.1,
        activation="relu",
        layer_norm_eps=1e-5,
        norm_first=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.norm_first = norm_first
        self.self_attn = layers.MultiHeadAttention(nhead, d_model // nhead, dropout=dropout)
        self.linear1 = layers.Dense(dim_feedforward, activation=activation)
        self.linear2 = layers.Dense(d_model)
        self.norm1 = layers.LayerNormalization(epsilon=layer_norm_eps)
        self.norm2 = layers.LayerNormalization(epsilon=layer_norm_eps)
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

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward,
        dropout=0.1,
        activation="relu",
        layer_norm_eps=1e-5,
        norm_first=False,
        *,
        rngs: nnx.Rngs,
    ):
        self.norm_first = norm_first
        self.exact_gelu = activation == "gelu"  # PyTorch's GELU is the exact one
        self.self_attn = nnx.MultiHeadAttention(
            nhead, d_model, dropout_rate=dropout, decode=False, rngs=rngs
        )
        self.linear1 = nnx.Linear(d_model, dim_feedforward, rngs=rngs)
        self.linear2 = nnx.Linear(dim_feedforward, d_model, rngs=rngs)
        self.norm1 = nnx.LayerNorm(d_model, epsilon=layer_norm_eps, rngs=rngs)
        self.norm2 = nnx.LayerNorm(d_model, epsilon=layer_norm_eps, rngs=rngs)
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

KERAS_DECODER = '''\
class TransformerDecoderLayer(TransformerEncoderLayer):
    """PyTorch's nn.TransformerDecoderLayer: the encoder layer's self-attention and
    feed-forward network, with attention to the memory (the second input) between them."""

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward,
        dropout=0.1,
        activation="relu",
        layer_norm_eps=1e-5,
        norm_first=False,
        **kwargs,
    ):
        super().__init__(
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            activation,
            layer_norm_eps,
            norm_first,
            **kwargs,
        )
        self.multihead_attn = layers.MultiHeadAttention(nhead, d_model // nhead, dropout=dropout)
        self.norm3 = layers.LayerNormalization(epsilon=layer_norm_eps)

    def _attend_memory(self, x, memory, training):
        attended = self.multihead_attn(x, memory, training=training)
        return self.dropout(attended, training=training)

    def call(self, inputs, training=None):
        x, memory = inputs
        if self.norm_first:
            x = x + self._attend(self.norm1(x), training)
            x = x + self._attend_memory(self.norm2(x), memory, training)
            return x + self._feed_forward(self.norm3(x), training)
        x = self.norm1(x + self._attend(x, training))
        x = self.norm2(x + self._attend_memory(x, memory, training))
        return self.norm3(x + self._feed_forward(x, training))
'''

FLAX_DECODER = '''\
class TransformerDecoderLayer(TransformerEncoderLayer):
    """PyTorch's nn.TransformerDecoderLayer: the encoder layer's self-attention and
    feed-forward network, with attention to the memory (the second input) between them."""

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward,
        dropout=0.1,
        activation="relu",
        layer_norm_eps=1e-5,
        norm_first=False,
        *,
        rngs: nnx.Rngs,
    ):
        super().__init__(
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            activation,
            layer_norm_eps,
            norm_first,
            rngs=rngs,
        )
        self.multihead_attn = nnx.MultiHeadAttention(
            nhead, d_model, dropout_rate=dropout, decode=False, rngs=rngs
        )
        self.norm3 = nnx.LayerNorm(d_model, epsilon=layer_norm_eps, rngs=rngs)

    def __call__(self, x, memory):
        if self.norm_first:
            x = x + self.dropout(self.self_attn(self.norm1(x)))
            x = x + self.dropout(self.multihead_attn(self.norm2(x), memory))
            return x + self._feed_forward(self.norm3(x))
        x = self.norm1(x + self.dropout(self.self_attn(x)))
        x = self.norm2(x + self.dropout(self.multihead_attn(x, memory)))
        return self.norm3(x + self._feed_forward(x))
'''

KERAS_EXPAND = '''\
class Expand(layers.Layer):
    """PyTorch's x.expand(n, ...): x (a batch of one) repeated for every sample of the
    second input."""

    def call(self, inputs):
        x, like = inputs
        return keras.ops.broadcast_to(x, (keras.ops.shape(like)[0], *x.shape[1:]))
'''

FLAX_GRU_CELL = '''\
class GRUCell(nnx.GRUCell):
    """PyTorch's GRU cell: nnx.GRUCell with a bias on the hidden state's dense layer too,
    which PyTorch adds inside the reset gate's product (b_hn)."""

    def __init__(self, in_features, hidden_features, *, rngs: nnx.Rngs):
        super().__init__(in_features, hidden_features, rngs=rngs)
        self.dense_h = nnx.Linear(hidden_features, 3 * hidden_features, rngs=rngs)
'''

FLAX_ALPHA_DROPOUT = '''\
class AlphaDropout(nnx.Dropout):
    """PyTorch's nn.AlphaDropout: while training, dropped values become SELU's negative
    limit and all are rescaled so that mean and variance stay; nothing in evaluation."""

    def __call__(self, x):
        if self.deterministic or self.rate == 0.0:
            return x
        alpha = -1.7580993408473766  # SELU's -scale * alpha
        keep = jax.random.bernoulli(self.rngs(), 1.0 - self.rate, x.shape)
        a = ((1.0 - self.rate) * (1.0 + self.rate * alpha**2)) ** -0.5
        return a * jnp.where(keep, x, alpha) - a * alpha * self.rate
'''

# Each framework's classes, by name, in the order they are written (a base before its subclass).
SUPPORT: dict[str, dict[str, str]] = {
    "keras": {
        "TransformerEncoderLayer": KERAS_TRANSFORMER,
        "TransformerDecoderLayer": KERAS_DECODER,
        "Expand": KERAS_EXPAND,
    },
    "flax": {
        "TransformerEncoderLayer": FLAX_TRANSFORMER,
        "TransformerDecoderLayer": FLAX_DECODER,
        "GRUCell": FLAX_GRU_CELL,
        "AlphaDropout": FLAX_ALPHA_DROPOUT,
    },
}
# The classes an op needs, where they are not just the class of its own name.
NEEDS: dict[str, tuple[str, ...]] = {
    "TransformerDecoderLayer": ("TransformerEncoderLayer", "TransformerDecoderLayer"),
    "GRU": ("GRUCell",),
}


def support_classes(program: Program, framework: str) -> list[str]:
    """The source lines of the classes ``program``'s layers need in ``framework``, each after
    two blank lines."""
    needed = {name for op in _ops(program) for name in NEEDS.get(op, (op,))}
    lines: list[str] = []
    for name, source in SUPPORT[framework].items():
        if name in needed:
            lines += ["", "", *source.rstrip().splitlines()]
    return lines


def _ops(program: Program) -> set[str]:
    ops = set()
    for step in program.steps:
        ops.add(step.node.op)
        if step.block is not None:
            ops |= _ops(step.block)
    return ops
