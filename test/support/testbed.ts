import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { RegistryPublisher } from "../../src/engines/docker/registry-publisher.js";
import { BuiltInRegistry } from "../../src/registry/built-in-registry.js";
import { InternalCa } from "../../src/tls/internal-ca.js";

/** The project's own Swarm testbed (scripts/testbed): 4 nodes, 3 of them managers. */
export const TESTBED_DIR = process.env.BERTH_TESTBED_DIR ?? "/var/lib/berth-testbed";
export const REGISTRY = "10.201.0.1:5001";
export const managerSocket = (node = "tb1") => join(TESTBED_DIR, "nodes", node, "sock");
export const nodeDocker = (node: string) => new Docker({ socketPath: managerSocket(node) });

const script = join(import.meta.dirname, "../../scripts/testbed");

export function testbed(...args: string[]): string {
  return execFileSync(script, args, {
    encoding: "utf8",
    env: { ...process.env, BERTH_TESTBED_DIR: TESTBED_DIR },
  });
}

/** Brings the testbed up (a no-op when it is) and the built-in registry the nodes pull from. */
export async function ensureTestbed(): Promise<{ publisher: RegistryPublisher }> {
  testbed("up", "--nodes", "4", "--managers", "3");
  // Outside the testbed dir: "testbed down" removes that, and the registry outlives testbeds.
  const dir = "/var/lib/berth-test-registry";
  const ca = await InternalCa.open(join(dir, "ca"));
  const registry = new BuiltInRegistry({
    stateDir: join(dir, "state"),
    listen: REGISTRY,
    certificate: async () => ({
      ...(await ca.issue(REGISTRY.split(":")[0] as string)),
      caPem: ca.caCertPem(),
    }),
    dockerCertsDir: "/etc/docker/certs.d",
    log: () => undefined,
  });
  await registry.start();
  return { publisher: new RegistryPublisher(new Docker(), REGISTRY) };
}

export const scratchDir = () => mkdtempSync(join(tmpdir(), "berth-swarm-"));

/** Removes every Swarm service a Berth server made on the testbed (label berth.instance). */
export async function removeServicesOf(instance: string): Promise<void> {
  const manager = nodeDocker("tb1");
  const label = [`berth.instance=${instance}`];
  for (const s of await manager.listServices({ filters: { label } }).catch(() => []))
    await manager
      .getService(s.ID)
      .remove()
      .catch(() => undefined);
}
