import { request } from "node:http";

export interface RouterResponse {
  status: number;
  body: string;
}

/** One request to the router on 127.0.0.1 with the app's Host header, on a fresh connection. */
export function getViaRouter(
  routerPort: number,
  host: string,
  path = "/",
  timeoutMs = 5000,
): Promise<RouterResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: routerPort,
        path,
        method: "GET",
        headers: { host },
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Sends requests back to back until stopped and counts every answer that is not a 200
 * (including connection errors). Bounded by maxRequests so it always ends by itself.
 */
export function trafficLoop(routerPort: number, host: string, maxRequests = 20_000) {
  let stopped = false;
  const failures: string[] = [];
  const bodies = new Map<string, number>();
  let sent = 0;
  const done = (async () => {
    while (!stopped && sent < maxRequests) {
      sent++;
      try {
        const res = await getViaRouter(routerPort, host);
        if (res.status !== 200) failures.push(`${res.status} ${res.body.trim()}`);
        else bodies.set(res.body.trim(), (bodies.get(res.body.trim()) ?? 0) + 1);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return { sent, failures, bodies };
    },
  };
}
