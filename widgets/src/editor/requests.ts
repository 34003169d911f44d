/**
 * Request/response over anywidget custom messages: each request carries an id and Python
 * answers with a `reply` carrying the same id (as quak does).
 */
import type { AnyModel } from "@anywidget/types";
import { useEffect, useMemo } from "react";
import { type Reply, REPLY_TYPE, type Request } from "../protocol";

type Pending = Map<number, (reply: Reply) => void>;
type WithoutId<R> = R extends Request ? Omit<R, "id"> : never;

export type SendRequest = (request: WithoutId<Request>) => Promise<Reply>;

const TIMEOUT_MS = 60_000;

export function useRequests(model: AnyModel): SendRequest {
  const pending = useMemo<Pending>(() => new Map(), []);

  useEffect(() => {
    const onMessage = (msg: unknown) => {
      const reply = msg as Reply;
      if (reply?.type !== REPLY_TYPE) return;
      pending.get(reply.id)?.(reply);
      pending.delete(reply.id);
    };
    model.on("msg:custom", onMessage);
    return () => model.off("msg:custom", onMessage);
  }, [model, pending]);

  return useMemo(() => {
    let nextId = 1;
    return (request) =>
      new Promise<Reply>((resolve) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({
            type: "reply",
            id,
            request: request.type,
            ok: false,
            error: "Python did not answer; is the kernel still running?",
            result: null,
          });
        }, TIMEOUT_MS);
        pending.set(id, (reply) => {
          clearTimeout(timer);
          resolve(reply);
        });
        model.send({ ...request, id });
      });
  }, [model, pending]);
}
