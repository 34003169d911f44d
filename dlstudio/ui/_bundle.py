"""Where the built front-end lives, and how a widget loads it once per page.

Every widget's own ``_esm`` is a tiny loader; the real bundle sits in one shared
``BundleHost`` model per kernel. A saved notebook therefore stores each bundle once, however
many widgets use it. Two bundles: ``builder`` (React: the ModelBuilder and the code view) and
``plots`` (plotly.js: the loss plot and the results views). A widget says which one with
``BundledWidget``'s ``bundle_name``, and which view of it with ``_kind``.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path
from typing import ClassVar

import anywidget
import ipywidgets
import traitlets
from ipywidgets import widget_serialization

from dlstudio.ui.page_writes import PageWritable

STATIC_DIR = Path(__file__).resolve().parent / "static"

BUILD_HINT = (
    "Build it with `pip install -e .` (which runs npm through hatch-jupyter-builder) or "
    "`npm --prefix widgets ci && npm --prefix widgets run build`."
)

# Shown instead of the editor when the bundle was never built, so the page says what to do.
_MISSING_ESM = """
export default {
  render({ el }) {
    el.textContent = %s;
    el.style.cssText = "color: #b00020; padding: 8px; border: 1px solid #b00020;";
  },
};
"""

LOADER_ESM = """
const modules = new Map();
async function load(model) {
  let ref = model.get("_bundle");
  const id = typeof ref === "string" ? ref.replace(/^IPY_MODEL_/, "") : ref.model_id;
  if (!modules.has(id)) {
    modules.set(id, model.widget_manager.get_model(id).then((host) => {
      const url = URL.createObjectURL(new Blob([host.get("code")], { type: "text/javascript" }));
      return import(/* webpackIgnore: true */ url);
    }));
  }
  return (await modules.get(id)).default;
}
export default {
  async render(props) {
    // When this view started, for benchmarks/bench_builder.py's first-render time.
    props.el.dataset.dlsRenderStart = String(performance.now());
    const widget = await load(props.model);
    return widget.render(props);
  },
};
"""


def bundle_path(name: str) -> Path:
    """The built ES module ``name`` (e.g. ``"builder"``) in ``dlstudio/ui/static``."""
    return STATIC_DIR / f"{name}.js"


def read_bundle(name: str) -> str:
    """The bundle's source, or a stand-in that tells the learner how to build it."""
    path = bundle_path(name)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        message = f"The dlstudio {name} front-end is not built ({path} is missing). {BUILD_HINT}"
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        return _MISSING_ESM % repr(message)


class BundleHost(PageWritable, ipywidgets.Widget):
    """A model without a view that carries one bundle's source to the page (which may change
    none of it)."""

    name = traitlets.Unicode().tag(sync=True)
    code = traitlets.Unicode().tag(sync=True)


@cache
def _hosts() -> dict[str, BundleHost]:
    return {}


def shared_host(name: str) -> BundleHost:
    """The kernel's one BundleHost for ``name``, (re)created when missing or closed."""
    hosts = _hosts()
    host = hosts.get(name)
    if host is None or host.comm is None:
        host = BundleHost(name=name, code=read_bundle(name))
        hosts[name] = host
    return host


class BundledWidget(PageWritable, anywidget.AnyWidget):
    """An anywidget whose front-end is a view in one of the shared bundles.

    Subclasses set ``bundle_name``, ``_kind`` when the bundle holds several views, and
    ``page_writable``: the traits the page may change (none by default).
    """

    bundle_name: ClassVar[str]
    _esm = LOADER_ESM
    _bundle = traitlets.Instance(BundleHost).tag(sync=True, **widget_serialization)

    @traitlets.default("_bundle")
    def _default_bundle(self) -> BundleHost:
        return shared_host(self.bundle_name)
