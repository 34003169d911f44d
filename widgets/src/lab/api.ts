/**
 * Calls to dlstudio's server extension (dlstudio/server/handlers.py), with the server's token
 * and XSRF cookie as every JupyterLab request carries them.
 */
import { URLExt } from "@jupyterlab/coreutils";
import { ServerConnection } from "@jupyterlab/services";

/** `GET` (no body) or `POST` (a JSON body) to `<base>/dlstudio/<endpoint>`; rejects with the
 * server's sentence. */
export async function callServer<T>(endpoint: string, body?: unknown): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, "dlstudio", endpoint);
  const init: RequestInit = body === undefined ? { method: "GET" } : { method: "POST", body: JSON.stringify(body) };
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new Error(`The Jupyter server did not answer (${String(error)}); is it still running?`, { cause: error });
  }
  const text = await response.text();
  const data = text ? parseJson(text) : null;
  if (!response.ok) throw new Error(errorSentence(data, response));
  return data as T;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The learner sentence a handler put in its error answer (Jupyter's own errors say `message`). */
function errorSentence(data: unknown, response: Response): string {
  const answer = (data ?? {}) as { error?: unknown; message?: unknown; reason?: unknown };
  for (const field of [answer.error, answer.message, answer.reason]) {
    if (typeof field === "string" && field) return field;
  }
  if (response.status === 404) return "dlstudio's server extension is not enabled in this Jupyter server.";
  return `The server answered ${response.status} ${response.statusText}.`;
}
