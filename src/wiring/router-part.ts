import { join } from "node:path";
import { AccessLogMetrics } from "../metrics/access-log-metrics.js";
import { RoutePublisher } from "../reconciler/route-publisher.js";
import { NginxRouter } from "../router/nginx-router.js";
import { routerListenHosts, type ServerConfig } from "../server-config.js";
import type { Store } from "../store/store.js";

export interface RouterPart {
  router: NginxRouter;
  routes: RoutePublisher;
  /** The router's access log as per-release request metrics (canary gates, status). */
  traffic: AccessLogMetrics;
}

/** Berth's own nginx, rendered from the store before any pass changes it, and its access log. */
export async function routerPart(
  config: ServerConfig,
  store: Store,
  log: { info(msg: string): void; warn(obj: object, msg: string): void },
): Promise<RouterPart> {
  const router = new NginxRouter({
    stateDir: join(config.dataDir, "router"),
    listenHosts: routerListenHosts(config.routerHost),
    port: config.routerPort,
    httpsPort: config.routerHttpsPort,
    trustedProxies: config.trustedProxies,
    log: (msg) => log.info(msg),
  });
  const routes = new RoutePublisher(store, router, config.domain);
  await router.start(await routes.currentRoutes());
  const traffic = new AccessLogMetrics({
    path: router.accessLogPath,
    reopen: () => router.reopenLogs(),
    onError: (err) => log.warn({ err }, "reading the router's access log failed"),
  });
  return { router, routes, traffic };
}
