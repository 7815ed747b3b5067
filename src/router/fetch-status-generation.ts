import http from "node:http";
import { pollUntil } from "./poll-until.js";

/**
 * Asks nginx's status server (a unix socket) which generation it serves. Undefined when nothing
 * answers or the answer is not a number, e.g. while nginx is still starting.
 */
export function fetchStatusGeneration(socketPath: string, timeoutMs = 1000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: "/generation", agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => {
        const generation = Number(body);
        resolve(
          res.statusCode === 200 && body !== "" && Number.isSafeInteger(generation) ? generation : undefined,
        );
      });
      res.on("error", () => resolve(undefined));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
  });
}

/** Polls the status socket until it serves `generation`; throws a clear error after `timeoutMs`. */
export async function waitForGeneration(
  socketPath: string,
  generation: number,
  timeoutMs = 5000,
): Promise<void> {
  let last: number | undefined;
  const confirmed = await pollUntil(async () => {
    last = await fetchStatusGeneration(socketPath, 500);
    return last === generation;
  }, timeoutMs);
  if (!confirmed) {
    throw new Error(
      `nginx did not confirm generation ${generation} within ${timeoutMs} ms ` +
        `(status socket ${socketPath} last answered ${last ?? "nothing"})`,
    );
  }
}
