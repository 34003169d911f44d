"""The ``dlstudio`` command line: check, print code for, or summarise a graph file.

Example:
    $ dlstudio check model.json
    $ dlstudio code model.json --class-name LeNet
    $ dlstudio summary lenet5          # a shipped example by name
    $ dlstudio import torchvision.models:resnet18 --input 3,224,224 -o resnet18.json
    $ dlstudio export dlstudio-sessions/run1 --format onnx --out exported
    $ dlstudio app                     # the Studio web app; dlstudio lab opens JupyterLab
    $ dlstudio tutorials               # the tutorial notebooks copied here, opened in JupyterLab
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlstudio.graph import Graph, GraphError


def _load(source: str) -> Graph:
    from dlstudio.graph import Graph, examples  # torch loads only for the graph commands

    if not Path(source).exists() and source in examples.names():
        return examples.load(source)
    return Graph.load(source)


def _report(error: GraphError) -> int:
    print(f"{len(error.problems)} problem(s) found:", file=sys.stderr)
    for problem in error.problems:
        where = f"[{problem.node_id}] " if problem.node_id else ""
        print(f"  - {where}{problem.message}", file=sys.stderr)
        if problem.hint:
            print(f"      fix: {problem.hint}", file=sys.stderr)
    return 1


def _check(args: argparse.Namespace) -> int:
    graph = _load(args.file)
    analysis = graph.validate()
    print(f"OK: {len(graph.nodes)} nodes, {analysis.param_count:,} parameters.")
    return 0


def _code(args: argparse.Namespace) -> int:
    print(_load(args.file).to_code(class_name=args.class_name), end="")
    return 0


def _summary(args: argparse.Namespace) -> int:
    print(_load(args.file).summary())
    return 0


def _import(args: argparse.Namespace) -> int:
    """Trace ``package.module:factory``'s model into a graph file (and its weights beside it)."""
    import importlib

    import torch

    from dlstudio.graph import Graph
    from dlstudio.graph.document import write_atomically
    from dlstudio.graph.weights import read_state_dict

    module_name, _, factory_name = args.model.partition(":")
    if not factory_name:
        raise SystemExit(
            "Name the model as package.module:factory, e.g. torchvision.models:resnet18"
        )
    factory = getattr(importlib.import_module(module_name), factory_name, None)
    if not callable(factory):
        raise SystemExit(f"{module_name} has no callable {factory_name!r}.")
    model = factory()
    if not isinstance(model, torch.nn.Module):
        raise SystemExit(f"{args.model}() made a {type(model).__name__}, not an nn.Module.")
    try:
        sizes = [int(size) for size in args.input.split(",")]
    except ValueError:
        raise SystemExit(
            f"--input takes sizes without the batch, like 3,224,224, not {args.input!r}"
        ) from None
    if args.weights:
        state = read_state_dict(args.weights)
        try:
            model.load_state_dict(state)
        except RuntimeError as error:
            raise SystemExit(f"{args.weights} does not fit {args.model}: {error}") from None
    example = torch.zeros(1, *sizes, dtype=torch.long if args.dtype == "long" else torch.float32)
    graph = Graph.from_module(model.eval(), example)
    output = Path(args.output)
    write_atomically(output, graph.to_json() + "\n")
    print(f"Wrote {output}: {len(graph.nodes)} nodes, {graph.param_count():,} parameters.")
    if args.weights:
        from safetensors.torch import save_file

        weights = output.with_suffix(".safetensors")
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
        print(f"Wrote {weights}: Graph.load({str(output)!r}).build(weights={str(weights)!r})")
    return 0


def _add_import_command(sub: argparse._SubParsersAction) -> None:
    command = sub.add_parser("import", help="trace an existing PyTorch model into a graph file")
    command.add_argument("model", help="package.module:factory, e.g. torchvision.models:resnet18")
    command.add_argument("--input", required=True, help="one sample's shape, e.g. 3,224,224")
    command.add_argument("--dtype", choices=("float", "long"), default="float", help="input type")
    command.add_argument("-o", "--output", required=True, help="the graph .json to write")
    command.add_argument(
        "--weights", help="a .safetensors or .pt state dict to load (saved beside the graph)"
    )
    command.set_defaults(handler=_import)


def _export(args: argparse.Namespace) -> int:
    """Export a saved Studio session (or a graph file) in each chosen format."""
    from dlstudio.export import ExportError, export

    source: Any = args.source if Path(args.source).is_dir() else _load(args.source)
    status = 0
    for format in args.format:
        out = Path(args.out) / format if len(args.format) > 1 else Path(args.out)
        try:
            report = export(source, out, format, **_format_options(args, format))
        except ExportError as error:
            print(f"{format}: {error}", file=sys.stderr)
            status = 1
            continue
        print(f"Wrote {report.folder}\n{report}\n")
    return status


def _format_options(args: argparse.Namespace, format: str) -> dict[str, Any]:
    options: dict[str, Any] = {"data_dir": args.data_dir}
    option = {"onnx": "opset", "quantized": "mode", "pruned": "sparsity"}.get(format)
    if option and getattr(args, option) is not None:
        options[option] = getattr(args, option)
    if format == "ddp":
        options["fsdp"] = args.fsdp
    return options


def _add_export_command(sub: argparse._SubParsersAction) -> None:
    command = sub.add_parser("export", help="export a Studio session in deployment formats")
    command.add_argument("source", help="a saved Studio session folder, or a graph .json file")
    command.add_argument(
        "--format", action="append", required=True,
        help="python, script, torchscript, pt2, onnx, quantized, pruned, executorch or ddp "
        "(repeat for several)",
    )  # fmt: skip
    command.add_argument("--out", required=True, help="the folder to write (one per format)")
    command.add_argument("--data-dir", default=None, help="where the session's data live")
    command.add_argument("--opset", type=int, default=None, help="onnx: the opset to target")
    command.add_argument("--mode", choices=("auto", "dynamic", "static"), default=None)
    command.add_argument("--sparsity", type=float, default=None, help="pruned: share of zeros")
    command.add_argument("--fsdp", action="store_true", help="ddp: shard with fully_shard")
    command.set_defaults(handler=_export)


def _parser(commands: dict[str, tuple[Callable, str]]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlstudio", description="Build deep learning models visually; get plain PyTorch."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (handler, help_text) in commands.items():
        command = sub.add_parser(name, help=help_text)
        command.add_argument("file", help="a graph .json file, or an example name (e.g. lenet5)")
        if name == "code":
            command.add_argument("--class-name", default="Net", help="name of the nn.Module")
        command.set_defaults(handler=handler)
    _add_import_command(sub)
    _add_export_command(sub)
    _add_app_commands(sub)
    return parser


def _app(args: argparse.Namespace) -> int:
    from dlstudio.app.launch import run_app

    return run_app(
        port=args.port,
        open_browser=not args.no_browser,
        data_dir=args.data_dir,
        max_sessions=args.max_sessions,
        cull_idle_s=args.cull_idle_after,
        playground=args.playground,
    )


def _lab(args: argparse.Namespace) -> int:
    from dlstudio.app.launch import run_lab

    return run_lab(port=args.port, open_browser=not args.no_browser)


def _tutorials(args: argparse.Namespace) -> int:
    """Copy the tutorials into a folder (keeping the learner's edited copies), open JupyterLab."""
    from dlstudio.app.launch import run_lab
    from dlstudio.tutorials import copy_tutorials, notebooks

    folder = Path(args.dir).expanduser().resolve()
    copied = copy_tutorials(folder)
    kept = len(notebooks()) - len(copied)
    print(f"Tutorials in {folder}: {len(copied)} copied, {kept} already there (kept as they are).")
    if args.copy_only:
        return 0
    return run_lab(port=args.port, open_browser=not args.no_browser, root=folder)


def _add_app_commands(sub: argparse._SubParsersAction) -> None:
    app = sub.add_parser("app", help="open the Studio web app (Voila on 127.0.0.1)")
    app.add_argument("--port", type=int, default=8866, help="port to serve on (default 8866)")
    app.add_argument("--no-browser", action="store_true", help="do not open a browser")
    app.add_argument(
        "--data-dir", default=None, help="folder the app may read data from (default: here)"
    )
    app.add_argument(
        "--max-sessions", type=int, default=0,
        help="visitors served at once; more get a 'Studio is full' page (default: no limit)",
    )  # fmt: skip
    app.add_argument(
        "--cull-idle-after", type=int, default=1800, metavar="SECONDS",
        help="shut down a visitor's kernel idle this long (default 1800; 0: never)",
    )  # fmt: skip
    app.add_argument(
        "--playground", action="store_true",
        help="serve the Playground alone (TensorFlow Playground's lessons on PyTorch)",
    )  # fmt: skip
    app.set_defaults(handler=_app)
    lab = sub.add_parser("lab", help="open JupyterLab with the tutorials")
    lab.add_argument("--port", type=int, default=None, help="port to serve on")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.set_defaults(handler=_lab)
    tutorials = sub.add_parser(
        "tutorials", help="copy the tutorial notebooks into a folder and open JupyterLab there"
    )
    tutorials.add_argument(
        "--dir", default="dlstudio-tutorials", help="the folder (default: ./dlstudio-tutorials)"
    )
    tutorials.add_argument("--port", type=int, default=None, help="port to serve on")
    tutorials.add_argument("--no-browser", action="store_true", help="do not open a browser")
    tutorials.add_argument("--copy-only", action="store_true", help="copy, do not open JupyterLab")
    tutorials.set_defaults(handler=_tutorials)


GRAPH_COMMANDS = {
    "check": (_check, "list every problem in a graph, with node ids"),
    "code": (_code, "print the generated PyTorch module"),
    "summary": (_summary, "per-layer table of output shapes and parameters"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dlstudio`` command."""
    args = _parser(GRAPH_COMMANDS).parse_args(argv)
    try:
        return args.handler(args)
    except ValueError as error:  # GraphError is one; importing it here would load torch first
        from dlstudio.graph import GraphError

        if isinstance(error, GraphError):
            return _report(error)
        raise


if __name__ == "__main__":
    sys.exit(main())
