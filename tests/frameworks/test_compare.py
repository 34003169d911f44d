"""Two frameworks' code side by side: the marked lines are the ones each difference is about,
and the Studio's Code tab switches frameworks and shows the comparison."""

from __future__ import annotations

from dlstudio.graph import Graph, examples
from dlstudio.graph.frameworks.compare import compare
from dlstudio.ui.studio.code import CodePanel


def _marked(code: str, lines: tuple[int, ...]) -> list[str]:
    text = code.splitlines()
    return [text[i] for i in lines]


def test_each_difference_points_at_the_lines_it_explains() -> None:
    comparison = compare(examples.load("lenet5"), "pytorch", "keras")
    parameters, layout, training = comparison.differences
    assert all("nn." in line for line in _marked(comparison.left_code, parameters.left_lines))
    assert all("layers." in line for line in _marked(comparison.right_code, parameters.right_lines))
    assert _marked(comparison.left_code, layout.left_lines) == ["        # x: (N, 1, 28, 28)"]
    assert "keras.Input(shape=(28, 28, 1)" in _marked(comparison.right_code, layout.right_lines)[0]
    assert "loss.backward()" in "\n".join(_marked(comparison.left_code, training.left_lines))
    assert "model.fit(" in "\n".join(_marked(comparison.right_code, training.right_lines))
    assert comparison.marks("left")[str(layout.left_lines[0])] == "2"


def test_a_model_without_images_has_no_layout_difference_and_missing_layers_are_named() -> None:
    titles = [d.title for d in compare(examples.load("mlp"), "keras", "flax").differences]
    assert titles == ["Where the parameters live", "How a training step is written"]
    graph = Graph()
    graph.add("Input", id="input", shape=[3, 8, 8])
    graph.add("LPPool2d", id="pool", after="input", norm_type=2, kernel_size=2)
    graph.add("Output", id="output", after="pool")
    pooled = compare(graph, "pytorch", "flax")
    missing = pooled.differences[-1]
    assert missing.title == "Layers without a counterpart" and not missing.left_lines
    right = _marked(pooled.right_code, missing.right_lines)
    # The sentence is one comment, wrapped to 100 columns: all of its lines are marked.
    assert all(line.strip().startswith("# ") for line in right) and len(right) == 2
    assert "(LPPool2d) in Flax" in right[0] and right[-1].endswith("jax.numpy.")


def test_the_code_tab_switches_framework_and_compares() -> None:
    panel = CodePanel()
    panel.show_model(examples.load("lenet5"))
    assert "class Net(nn.Module)" in panel.model_view.code
    panel.framework.value = "flax"
    assert "class Net(nnx.Module)" in panel.model_view.code
    assert panel.model_view.filename == "model_flax.py" and not panel.model_view.marks
    panel.side_by_side.value = True
    assert panel.codes.children == (panel.model_view, panel.other_view)
    assert "keras.Sequential(" in panel.other_view.code and panel.other_view.marks
    assert "How a training step is written" in panel.differences.value
    panel.other.index = None  # a page may unset a choice: the panel keeps working
    panel.framework.index = None
    assert (
        "class Net(nn.Module)" in panel.model_view.code
        and "keras.Sequential(" in panel.other_view.code
    )
    broken = Graph()
    broken.add("Input", id="input")
    panel.show_model(broken)  # no Output: a comment says what to fix
    assert panel.model_view.code.startswith("# The model has problems")


def test_the_code_tab_shows_the_training_script_in_the_framework_chosen() -> None:
    from dlstudio import Studio
    from dlstudio.session.data import DataSpec

    studio = Studio()
    studio.code.framework.value = "keras"
    assert "model.fit(" in studio.code.script_view.code
    assert studio.code.script_view.filename == "train_keras.py"
    studio.code.framework.value = "flax"
    assert "@nnx.jit" in studio.code.script_view.code
    studio.data.select(DataSpec("builtin", "iris"))  # the scripts train digits only: said so
    assert studio.code.script_view.code.startswith("# No Flax NNX training script for this:")
    studio.code.framework.value = "pytorch"
    assert "def main():" in studio.code.script_view.code


def test_the_builder_writes_the_model_in_the_three_frameworks_after_each_edit() -> None:
    from dlstudio.ui.builder import ModelBuilder

    builder = ModelBuilder("lenet5")
    assert (
        "keras.Sequential(" in builder.code_keras and "class Net(nnx.Module)" in builder.code_flax
    )
    graph = builder.graph
    graph.remove("output")  # a problem: no framework's code until it is fixed
    builder.graph = graph
    assert builder.code.startswith("# The generated PyTorch code appears here")
    assert builder.code_keras.startswith("# The generated Keras code appears here")
    assert builder.code_flax.startswith("# The generated Flax code appears here")


def test_without_the_extra_the_verification_says_what_to_install() -> None:
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import sys
        for name in ("keras", "jax", "flax"):
            sys.modules[name] = None
        from dlstudio import frameworks
        from dlstudio.graph import examples
        for framework in ("keras", "flax"):
            try:
                frameworks.verify(examples.load("mlp"), framework)
            except ImportError as error:
                print(framework, "dlstudio[frameworks]" in str(error))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.split() == ["keras", "True", "flax", "True"], done.stderr
