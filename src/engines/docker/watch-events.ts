import type { Readable } from "node:stream";
import type Docker from "dockerode";
import type { EngineEvent } from "../engine.js";
import { JsonLines } from "./json-lines.js";
import { parseIdentityLabels } from "./parse-workload-labels.js";

const RECONNECT_MS = 1000;

const EVENTS = ["start", "die", "destroy", "stop", "kill", "oom", "restart"];

interface DockerEvent {
  Action?: unknown;
  Actor?: { Attributes?: Record<string, string> };
}

/**
 * Follows /events and reconnects after a second whenever the stream breaks, until closed.
 * Events missed while disconnected are not replayed: each onError is the caller's cue to
 * re-list and reconcile.
 */
export function watchEvents(
  docker: Docker,
  /** Label filters (berth.managed=true, and berth.instance when scoped). */
  labels: string[],
  onEvent: (event: EngineEvent) => void,
  onError: (error: Error) => void,
): { close(): void } {
  let closed = false;
  let current: Readable | undefined;
  let timer: NodeJS.Timeout | undefined;

  const retry = (error: Error) => {
    if (closed) return;
    onError(error);
    timer = setTimeout(connect, RECONNECT_MS);
  };

  const deliver = (value: unknown) => {
    const event = value as DockerEvent | null;
    const identity = parseIdentityLabels(event?.Actor?.Attributes);
    if (!identity || typeof event?.Action !== "string") return;
    try {
      onEvent({ identity, action: event.Action });
    } catch (error) {
      // A throwing handler must not kill the stream (or the process, from inside a data callback).
      onError(error as Error);
    }
  };

  function connect() {
    timer = undefined;
    docker.getEvents({ filters: { type: ["container"], label: labels, event: EVENTS } }).then((raw) => {
      const stream = raw as Readable;
      if (closed) {
        stream.destroy();
        return;
      }
      current = stream;
      const lines = new JsonLines(deliver);
      let ended = false;
      const end = (error: Error) => {
        if (ended) return;
        ended = true;
        current = undefined;
        stream.destroy();
        retry(error);
      };
      stream.on("data", (chunk: Buffer) => lines.push(chunk));
      stream.once("error", end);
      stream.once("end", () => end(new Error("Docker event stream ended")));
      stream.once("close", () => end(new Error("Docker event stream closed")));
    }, retry);
  }

  connect();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      current?.destroy();
      current = undefined;
    },
  };
}
