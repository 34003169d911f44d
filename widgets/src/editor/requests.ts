/**
 * Requests over anywidget custom messages: each carries this view's id and a number counted in
 * this view, and Python's reply names both (as quak does). Replies reach every view of the
 * model, so a view takes only those addressed to it.
 */
import { type Reply, REPLY_TYPE, type Request } from "../protocol";

/** A request as the editor writes it: the view and id are added here. */
export type Unaddressed<R = Request> = R extends Request ? Omit<R, "view" | "id"> : never;

/** What requests need of the model: a way to send a custom message. */
export interface Outbox {
  send(content: unknown): void;
}

interface Waiting {
  type: string;
  resolve: (reply: Reply) => void;
  timer: ReturnType<typeof setTimeout>;
}

const TIMEOUT_MS = 60_000;

export class Requests {
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;

  constructor(
    private readonly outbox: Outbox,
    readonly view: string,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {}

  /** Sends `request` and resolves with Python's reply (or a timeout error). */
  send(request: Unaddressed): Promise<Reply> {
    const id = this.nextId++;
    return new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(failed(this.view, id, request.type, "Python did not answer; is the kernel still running?"));
      }, this.timeoutMs);
      this.waiting.set(id, { type: request.type, resolve, timer });
      this.outbox.send({ ...request, view: this.view, id });
    });
  }

  /** A custom message from Python: resolves the request it answers, if this view sent it. */
  receive = (message: unknown): void => {
    const reply = message as Reply | null;
    if (reply?.type !== REPLY_TYPE || reply.view !== this.view) return;
    const waiting = this.waiting.get(reply.id);
    if (!waiting || waiting.type !== reply.request) return;
    clearTimeout(waiting.timer);
    this.waiting.delete(reply.id);
    waiting.resolve(reply);
  };

  /** The view goes away: nothing is waited for any more. */
  close(): void {
    for (const [id, waiting] of this.waiting) {
      clearTimeout(waiting.timer);
      waiting.resolve(failed(this.view, id, waiting.type, "The view was closed."));
    }
    this.waiting.clear();
  }
}

function failed(view: string, id: number, request: string, error: string): Reply {
  return { type: REPLY_TYPE, view, id, request, ok: false, error, result: null };
}
