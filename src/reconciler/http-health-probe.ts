import { request } from "node:http";
import { connect } from "node:net";
import type { HealthCheck } from "../domain/settings.js";

export type HealthProbe = (
  address: string,
  port: number,
  check: { kind: HealthCheck; path: string },
) => Promise<boolean>;

/**
 * http: GET address:port/path answers 2xx or 3xx within the timeout. tcp: the port accepts a
 * connection. none: a running container is healthy (a worker with nothing to ask).
 */
export function healthProbe(timeoutMs: number): HealthProbe {
  return (address, port, check) => {
    if (check.kind === "none") return Promise.resolve(true);
    if (check.kind === "tcp") return tcpProbe(address, port, timeoutMs);
    return httpProbe(address, port, check.path, timeoutMs);
  };
}

function httpProbe(address: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
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

function tcpProbe(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: timeoutMs });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}
