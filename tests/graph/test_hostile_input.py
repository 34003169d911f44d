"""Any JSON document gives a GraphError (never another exception, a crash or a hang)."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlstudio import Graph, GraphError, layers

HOSTILE_STRINGS = [
    "__import__('os').system('echo pwned')",
    "x); import os; os.system('id') #",
    "\n\nclass Evil: pass\n",
    "self",
    "forward",
    "None",
    "lambda: 0",
    "💥" * 10,
    "a" * 500,
    "",
    "\x00\x01",
    "${{7*7}}",
]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

op_names = st.sampled_from([*layers.names(), "Linar", "eval", "os.system", ""])
param_names = st.sampled_from(
    sorted({p["name"] for entry in layers.catalog() for p in entry["params"]} | {"bogus"})
)
node_ids = st.sampled_from(["in", "a", "b", "c", "out", *HOSTILE_STRINGS[:4]])

nodes = st.fixed_dictionaries(
    {"id": node_ids | json_scalars, "op": op_names | json_scalars},
    optional={
        "params": st.dictionaries(param_names, json_values, max_size=4) | json_values,
        "label": st.sampled_from(HOSTILE_STRINGS) | json_scalars,
        "position": json_values,
    },
)
edges = st.fixed_dictionaries(
    {"source": node_ids | json_scalars, "target": node_ids | json_scalars},
    optional={"target_port": st.integers(-2, 9) | json_scalars},
)
documents = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"nodes": st.lists(nodes, max_size=7), "edges": st.lists(edges, max_size=9)},
        optional={"version": st.sampled_from([1, 2, "1", None, True])},
    ),
)


def exercise(document) -> None:
    """Everything a user can do with a document either works or raises GraphError."""
    try:
        graph = Graph.from_dict(document)
    except GraphError as error:
        assert error.problems and all(problem.message for problem in error.problems)
        return
    analysis = graph.analyze()
    json.dumps([problem.to_dict() for problem in analysis.problems])
    try:
        graph.infer_shapes()
        graph.param_count()
        graph.to_code()
        graph.summary()
        graph.module_names()
    except GraphError as error:
        assert error.problems
        return
    model = graph.build()
    # The count made without weights is the count of the weights the model really allocates.
    assert sum(p.numel() for p in model.parameters()) == graph.param_count()


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents)
def test_random_documents_only_ever_raise_graph_error(document):
    exercise(document)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.tuples(st.sampled_from(layers.names()), st.dictionaries(param_names, json_values)),
        min_size=1,
        max_size=6,
    )
)
def test_random_chains_of_real_layers(chain):
    """Chains of catalog layers with random parameters: valid ones build, others explain."""
    document = {
        "version": 1,
        "nodes": [{"id": "in", "op": "Input", "params": {"shape": [3, 8, 8]}}],
    }
    previous = "in"
    document["edges"] = []
    for index, (op, params) in enumerate(chain):
        document["nodes"].append({"id": f"n{index}", "op": op, "params": params})
        document["edges"].append({"source": previous, "target": f"n{index}"})
        previous = f"n{index}"
    document["nodes"].append({"id": "out", "op": "Output"})
    document["edges"].append({"source": previous, "target": "out"})
    exercise(document)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        "null",
        '{"nodes": NaN}',
        '{"nodes": [{"id": 1e999}]}',
        "[" * 5000 + "]" * 5000,
    ],
)
def test_broken_json_text_is_a_graph_error(text):
    with pytest.raises(GraphError):
        Graph.from_json(text)


@pytest.mark.parametrize("size", [10**12, 10**7])
def test_absurd_sizes_are_refused_before_allocating(size):
    document = {
        "version": 1,
        "nodes": [
            {"id": "in", "op": "Input", "params": {"shape": [10**6]}},
            {"id": "fc", "op": "Linear", "params": {"out_features": size}},
            {"id": "out", "op": "Output"},
        ],
        "edges": [{"source": "in", "target": "fc"}, {"source": "fc", "target": "out"}],
    }
    graph = Graph.from_dict(document)
    with pytest.raises(GraphError) as caught:
        graph.build()
    assert any(problem.node_id == "fc" for problem in caught.value.problems)


def test_parameter_limit_is_configurable():
    document = {
        "version": 1,
        "nodes": [
            {"id": "in", "op": "Input", "params": {"shape": [100]}},
            {"id": "fc", "op": "Linear", "params": {"out_features": 100}},
            {"id": "out", "op": "Output"},
        ],
        "edges": [{"source": "in", "target": "fc"}, {"source": "fc", "target": "out"}],
    }
    assert Graph.from_dict(document).param_count() == 10_100
    with pytest.raises(GraphError, match="over the limit of 1,000"):
        Graph.from_dict(document, max_params=1000).build()


def test_nan_and_infinite_parameters_are_rejected():
    for value in (math.nan, math.inf):
        document = {
            "version": 1,
            "nodes": [
                {"id": "in", "op": "Input", "params": {"shape": [4]}},
                {"id": "drop", "op": "Dropout", "params": {"p": value}},
                {"id": "out", "op": "Output"},
            ],
            "edges": [{"source": "in", "target": "drop"}, {"source": "drop", "target": "out"}],
        }
        with pytest.raises(GraphError):
            Graph.from_dict(document).build()
