import { request } from "node:http";

export type HealthProbe = (hostPort: number, path: string) => Promise<boolean>;

/** GET 127.0.0.1:port/path; any 2xx or 3xx within the timeout is healthy. */
export function httpHealthProbe(timeoutMs: number): HealthProbe {
  return (hostPort, path) =>
    new Promise((resolve) => {
      const req = request(
        { host: "127.0.0.1", port: hostPort, path, method: "GET", agent: false, timeout: timeoutMs },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          resolve(status >= 200 && status < 400);
        },
      );
      req.on("timeout", () => req.destroy());
      req.on("error", () => resolve(false));
      req.end();
    });
}
