import { request } from "node:http";

export type HealthProbe = (address: string, port: number, path: string) => Promise<boolean>;

/** GET address:port/path; any 2xx or 3xx within the timeout is healthy. */
export function httpHealthProbe(timeoutMs: number): HealthProbe {
  return (address, port, path) =>
    new Promise((resolve) => {
      const req = request(
        { host: address, port, path, method: "GET", agent: false, timeout: timeoutMs },
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
