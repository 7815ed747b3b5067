import { chmodSync, mkdirSync } from "node:fs";
import { serve } from "@hono/node-server";
import { pino } from "pino";
import { createApi } from "./api/create-api.js";
import { runToCompletion } from "./engines/run-to-completion.js";
import { AppSync } from "./reconciler/app-sync.js";
import { BurstLoop } from "./reconciler/burst-loop.js";
import { HealthMonitor } from "./reconciler/health-monitor.js";
import { healthProbe } from "./reconciler/http-health-probe.js";
import { InstanceSync } from "./reconciler/instance-sync.js";
import { PlanExecutor } from "./reconciler/plan-executor.js";
import { Reconciler } from "./reconciler/reconciler.js";
import type { ServerConfig } from "./server-config.js";
import { CertificateRenewer } from "./services/certificate-renewer.js";
import { RolloutController } from "./services/rollout-controller.js";
import { VERSION } from "./version.js";
import { BackgroundLoops } from "./wiring/background-loops.js";
import { enginesPart } from "./wiring/engines-part.js";
import { routerPart } from "./wiring/router-part.js";
import { servicesPart } from "./wiring/services-part.js";
import { registerShippedModules, shippedModulesDir } from "./wiring/shipped-modules.js";
import { storePart } from "./wiring/store-part.js";
import { tlsPart } from "./wiring/tls-part.js";

/**
 * Composition root: picks the store, the engines and nginx, wires the services, and starts the
 * background loops from one list. Resolves once the API listens; the returned stop() leaves
 * containers and nginx running.
 */
export async function startServer(config: ServerConfig): Promise<{ stop(): Promise<void>; url: string }> {
  const log = pino({ name: "berth" });
  // 0711: nginx workers (user nobody) must traverse into router/; the secrets inside are 0600.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o711 });
  chmodSync(config.dataDir, 0o711);
  const { store, box, ring } = await storePart(config, log);
  const { ca, certificates } = await tlsPart(config.dataDir);
  const engines = await enginesPart(config, store, ca, { info: (msg) => log.info(msg) });
  const { engine } = engines;
  const { routes, traffic } = await routerPart(config, store, log);

  const probe = healthProbe(1_000);
  const executor = new PlanExecutor(store, engine, routes, { drainMs: config.drainMs, stopGraceSeconds: 10 });
  const healthPeriodMs = config.healthPeriodSeconds * 1000;
  // Two failed probes in a row take a replica out of the router (one period after its first
  // failure); three periods later, still unhealthy, it is replaced: four periods after its first
  // failure, the clock the status keeps (decision 101).
  const failuresToLeave = 2;
  const health = { periodMs: healthPeriodMs, replaceAfterMs: (failuresToLeave - 1 + 3) * healthPeriodMs };
  const appSync = new AppSync(store, engine, probe, executor, box, undefined, health);
  const hooks = { run: (spec: Parameters<typeof runToCompletion>[1]) => runToCompletion(engine, spec) };
  // The instance reconciler asks the instance service to take components away: bound late,
  // since the services are made with the reconciler.
  const components = { removeComponents: (id: number) => services.instances.removeComponents(id) };
  const instanceSync = new InstanceSync(store, engine, hooks, box, components, (line) => log.info(line));
  const reconciler = new Reconciler(store, engine, [appSync, instanceSync], routes, {
    concurrency: 8,
    resyncMs: config.resyncSeconds * 1000,
    log,
  });
  const services = servicesPart({
    ...engines,
    config,
    store,
    box,
    ring,
    reconciler,
    routes,
    traffic,
    certificates,
    hooks,
  });
  await registerShippedModules(services.catalog, shippedModulesDir(), log);
  if (engines.registryAddress) await services.clusters.connectAll();
  const api = createApi({
    version: VERSION,
    authenticate: (token) => services.identity.authenticate(token),
    logError: (err) => log.error({ err }, "request failed"),
    services,
  });

  // What runs on its own: started in this order, stopped in reverse.
  const loops = new BackgroundLoops();
  loops.add({ name: "access-log", start: () => traffic.start(), stop: () => traffic.stop() });
  loops.add({ name: "reconciler", start: () => reconciler.start(), stop: () => reconciler.stop() });
  const monitor = new HealthMonitor(
    store,
    probe,
    reconciler,
    { periodMs: healthPeriodMs, failuresToLeave, concurrency: 16 },
    (err) => log.warn({ err }, "health probe round failed"),
  );
  loops.add({ name: "health", start: () => monitor.start(), stop: () => monitor.stop() });
  const rollouts = new RolloutController(store, services.canaries, traffic, (err) =>
    log.error({ err }, "staged rollout step failed"),
  );
  loops.add({ name: "staged-rollouts", start: () => rollouts.start(), stop: () => rollouts.stop() });
  const bursts = new BurstLoop(store, engine, reconciler, (err) => log.warn({ err }, "burst step failed"));
  loops.add({ name: "burst", start: () => bursts.start(), stop: () => bursts.stop() });
  const renewer = new CertificateRenewer(store, certificates, routes, (err) =>
    log.error({ err }, "renewing certificates failed"),
  );
  loops.add({ name: "certificate-renewal", start: () => renewer.start(), stop: () => renewer.stop() });
  await loops.startAll();

  const [hostname, port] = splitHostPort(config.listen);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: api.fetch, hostname, port }, () => resolve(s));
    s.once("error", reject);
  });
  const url = `http://${hostname}:${port}`;
  log.info(
    { url, router: `${config.routerHost}:${config.routerPort}`, domain: config.domain, loops: loops.names },
    "berth server ready",
  );

  return {
    url,
    async stop() {
      loops.stopAll();
      // Followed log streams would hold the server open forever; nothing else is long-lived.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ("closeAllConnections" in server) server.closeAllConnections();
      await closed;
      await store.close();
    },
  };
}

function splitHostPort(listen: string): [string, number] {
  const i = listen.lastIndexOf(":");
  return [listen.slice(0, i), Number(listen.slice(i + 1))];
}
