"""The web app under attack from its own page: a second WebSocket to the page's kernel sends
hostile states and custom messages to every widget the Studio made (wrong types, numbers out of
range, huge and deep values, unknown requests, replays). After them the kernel still answers,
the Studio still works, no traceback reaches the page and nothing is written outside the data
folder."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .builder_page import BuilderPage
from .servers import ServerProcess, free_port, run_server
from .studio_page import StudioPage

# Runs in the page: opens its own channel to the page's kernel, as an attacker's script would.
ATTACK_JS = """async ({values, perWidget, presentation}) => {
  const config = JSON.parse(document.getElementById('jupyter-config-data').textContent);
  const ws = new WebSocket(`ws://${location.host}/api/kernels/${config.kernelId}/channels`);
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const waiting = new Map();
  const states = new Map();
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    const parent = msg.parent_header && msg.parent_header.msg_id;
    if (msg.msg_type === 'comm_msg' && msg.content.data && msg.content.data.method === 'update') {
      const id = msg.content.comm_id;
      states.set(id, {...(states.get(id) || {}), ...msg.content.data.state});
    }
    if (parent && waiting.has(parent) && msg.channel === 'shell') {
      waiting.get(parent)(msg); waiting.delete(parent);
    }
  };
  let counter = 0;
  const send = (msg_type, content) => {
    const msg_id = `attack-${counter++}`;
    ws.send(JSON.stringify({
      header: {msg_id, msg_type, username: '', session: 'attacker', date: new Date().toISOString(),
               version: '5.3'},
      parent_header: {}, metadata: {}, channel: 'shell', content,
    }));
    return msg_id;
  };
  const ask = (msg_type, content) => new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 120000);
    waiting.set(send(msg_type, content), (msg) => { clearTimeout(timer); resolve(msg); });
  });
  const alive = async () => (await ask('kernel_info_request', {})) !== null;
  const comms = Object.keys((await ask('comm_info_request', {target_name: 'jupyter.widget'}))
                            .content.comms);
  for (const id of comms) {
    send('comm_msg', {comm_id: id, data: {method: 'request_state'}});
  }
  await alive();  // the kernel answers in order: every state has arrived
  let sent = 0;
  const slow = [];
  const deep = JSON.parse('['.repeat(600) + ']'.repeat(600));
  const hostile = [...values, deep, 'x'.repeat(200000)];
  for (const id of comms) {
    const state = states.get(id) || {};
    if (/Layout|Style/.test(state._model_name || '')) continue;
    const keys = Object.keys(state)
      .filter((k) => !k.startsWith('_') && !presentation.includes(k)).slice(0, perWidget);
    for (const key of keys) {
      for (const value of hostile) {
        send('comm_msg', {comm_id: id, data: {method: 'update', state: {[key]: value},
                                               buffer_paths: []}});
        sent++;
      }
    }
    const start = performance.now();
    for (const content of [{type: 'no_such_request', id: 1}, {event: 'no_such_event', extra: deep},
                           {type: 'edit', id: 2, view: 'v', base: -1, graph: deep},
                           {type: 'patch', id: 3, view: 'v', base: 0, patch: {nodes: 'x'}},
                           null, 'text', 12]) {
      send('comm_msg', {comm_id: id, data: {method: 'custom', content}});
      sent++;
    }
    if (!(await alive())) return {comms: comms.length, sent, alive: false, stuck: state._model_name};
    slow.push([Math.round(performance.now() - start), state._model_name, keys.join(',')]);
  }
  slow.sort((a, b) => b[0] - a[0]);
  // A replay: the same update again, out of order, with an unknown comm id as well.
  send('comm_msg', {comm_id: 'no-such-comm', data: {method: 'update', state: {value: 1}}});
  const ok = await alive();
  ws.close();
  return {comms: comms.length, sent, alive: ok, slow: slow.slice(0, 5)};
}"""

HOSTILE_VALUES = [None, -1, 1e308, "../../../../etc/passwd", {"a": [1, 2]}]
# How a widget looks and is arranged (labels, colours, layout, which boxes hold it): the page
# may change its own looks; the kernel guards what the widgets hold and do.
PRESENTATION = [
    "layout", "style", "description", "description_allow_html", "tooltip", "tooltips",
    "tabbable", "disabled", "button_style", "icon", "icons", "continuous_update", "titles",
    "placeholder", "orientation", "readout", "readout_format", "behavior", "indent",
    "children", "box_style",
]  # fmt: skip


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Path]]:
    work = tmp_path_factory.mktemp("hostile")
    (work / "data").mkdir()
    port = free_port()
    argv = [sys.executable, "-m", "dlstudio.cli", "app", "--no-browser", "--port", str(port),
            "--data-dir", str(work / "data")]  # fmt: skip
    with run_server("hostile-app", argv, port, work / "home", cwd=work) as server:
        yield server, work


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def test_hostile_states_and_messages_to_every_widget_change_nothing_they_should_not(
    app: tuple[ServerProcess, Path], page: Page
) -> None:
    server, work = app
    page.goto(server.base_url + "/")
    studio = StudioPage(page, page.locator("body"))
    expect(studio.header()).to_contain_text("digits", timeout=120_000)
    studio.tab("Model")  # the builder exists only once its tab was shown
    BuilderPage(page, page.locator("body")).wait_ready()
    outside = _files(work) - _files(work / "data") - _files(work / "home")

    attack = {"values": HOSTILE_VALUES, "perWidget": 12, "presentation": PRESENTATION}
    result = page.evaluate(ATTACK_JS, attack)
    assert result["alive"], result
    assert result["comms"] > 50 and result["sent"] > 500, result

    # The kernel still serves this page: tabs switch, the model draws, a data set loads.
    for name in ("Data", "Train", "Code", "Model"):
        studio.tab(name)
    expect(page.locator(".react-flow__node").first).to_be_visible(timeout=60_000)
    studio.tab("Data")
    page.locator(".dls-data-panel").get_by_role("button", name="Built-in", exact=True).click()
    studio.pick_data("iris")
    expect(studio.header()).to_contain_text("iris")
    assert "Traceback" not in page.locator("body").inner_text()
    assert _files(work) - _files(work / "data") - _files(work / "home") == outside
