/**
 * The Playground's view: TensorFlow Playground's page drawn from the traits of
 * dlstudio/ui/playground.py (docs/playground-protocol.md). Only Python writes the traits; every
 * control here sends a request, and what changes on screen is Python's answer.
 */
import { useModelState } from "@anywidget/react";
import { type KeyboardEvent, useMemo, useState } from "react";
import type { PlaygroundNetwork, PlaygroundOptions, PlaygroundPointSet, PlaygroundSettings } from "../protocol";
import { CodePanel } from "./CodePanel";
import { HiddenContext } from "./controls";
import { DataColumn } from "./DataColumn";
import { DRAW_OFF, type DrawState, drawLabel } from "./draw";
import { Network } from "./Network";
import { OutputColumn } from "./OutputColumn";
import { usePictureBoard } from "./pictures";
import { useSenders } from "./requests";
import { SharePanel } from "./SharePanel";
import { TopBar } from "./TopBar";
import { useUrlState } from "./urlState";

const DEFAULT_DOMAIN: [number, number] = [-6, 6];
const NOTHING: string[] = [];

/** A message of the page's own, shown while Python's `error` is still what it was then. */
interface Notice {
  text: string;
  over: string;
}

export function Playground() {
  const [settings] = useModelState<PlaygroundSettings>("settings");
  const [options] = useModelState<PlaygroundOptions>("options");
  const [network] = useModelState<PlaygroundNetwork>("network");
  const [hiddenList] = useModelState<string[]>("hidden");
  const [share] = useModelState<string>("share");
  const [urlState] = useModelState<boolean>("url_state");
  const [thumbnails] = useModelState<Record<string, PlaygroundPointSet>>("thumbnails");
  const [points] = useModelState<{ train: PlaygroundPointSet; test: PlaygroundPointSet }>("points");
  const [focus] = useModelState<string>("focus");
  const [epoch] = useModelState<number>("epoch");
  const [lossTrain] = useModelState<number>("loss_train");
  const [lossTest] = useModelState<number>("loss_test");
  const [history] = useModelState<[number, number, number][]>("history");
  const [playing] = useModelState<boolean>("playing");
  const [frame] = useModelState<number>("frame");
  const [code] = useModelState<string>("code");
  const [error] = useModelState<string>("error");
  const [status] = useModelState<string>("status");
  const [canOpenBuilder] = useModelState<boolean>("can_open_builder");

  const send = useSenders();
  const board = usePictureBoard();
  useUrlState(!!urlState, share ?? "", send.loadShare);
  const [draw, setDraw] = useState<DrawState>(DRAW_OFF);
  const [notice, setNotice] = useState<Notice | null>(null);
  const hidden = useMemo(() => new Set(hiddenList ?? NOTHING), [hiddenList]);

  if (!settings || !options || !network) {
    return <div className="pg-root pg-loading">Loading the Playground…</div>;
  }
  const shownError = notice && notice.over === (error ?? "") ? notice.text : (error ?? "");
  const domain = options.domain ?? DEFAULT_DOMAIN;

  return (
    <HiddenContext.Provider value={hidden}>
      <div className="pg-root" data-testid="pg-root" data-frame={frame ?? 0} onKeyDownCapture={suppressShortcuts}>
        <TopBar settings={settings} options={options} playing={!!playing} epoch={epoch ?? 0} send={send} />
        <div className="pg-main">
          <DataColumn
            settings={settings}
            options={options}
            thumbnails={thumbnails ?? {}}
            draw={draw}
            onDraw={setDraw}
            onNotice={(text) => setNotice(text ? { text, over: error ?? "" } : null)}
            send={send}
          />
          <Network
            features={options.features ?? []}
            network={network}
            maxLayers={options.max_layers ?? 6}
            maxNeurons={options.max_neurons ?? 8}
            board={board}
            send={send}
          />
          <OutputColumn
            settings={settings}
            lossTrain={lossTrain}
            lossTest={lossTest}
            history={history ?? []}
            points={points}
            domain={domain}
            focus={focus ?? "output"}
            drawLabel={drawLabel(draw, settings.problem)}
            board={board}
            send={send}
          />
        </div>
        {shownError ? (
          <div className="pg-error" data-testid="pg-error" role="alert">
            {shownError}
          </div>
        ) : null}
        {status ? (
          <div className="pg-status" data-testid="pg-status" role="status">
            {status}
          </div>
        ) : null}
        <CodePanel code={code ?? ""} canOpenBuilder={!!canOpenBuilder} send={send} />
        <SharePanel share={share ?? ""} hidable={options.hidable ?? []} hidden={hidden} send={send} />
      </div>
    </HiddenContext.Provider>
  );
}

/**
 * JupyterLab would take keys typed in the Playground's inputs as notebook shortcuts ("d d"
 * deletes the cell): marking the focused element is what stops it (docs in shared/STACK.md).
 */
function suppressShortcuts(e: KeyboardEvent<HTMLDivElement>): void {
  if (e.target instanceof HTMLElement) e.target.setAttribute("data-lm-suppress-shortcuts", "true");
}
