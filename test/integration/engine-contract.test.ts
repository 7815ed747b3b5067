import Docker from "dockerode";
import { DockerEngine } from "../../src/engines/docker/docker-engine.js";
import { SwarmEngine } from "../../src/engines/swarm/swarm-engine.js";
import { engineContract } from "../support/engine-contract.js";
import { ensureTestbed, nodeDocker, scratchDir } from "../support/testbed.js";

const local = new Docker();
const filesDir = scratchDir();
const docker = new DockerEngine(local, { filesDir });

async function removeImages(tenant: string) {
  for (const image of await local.listImages({ filters: { label: [`berth.tenant=${tenant}`] } }))
    await local
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => undefined);
}

engineContract({
  name: "docker",
  engine: () => docker,
  startSeconds: 10,
  measuresVolumes: true,
  cluster: false,
  async cleanup(tenant) {
    for (const c of await local.listContainers({ all: true, filters: { label: [`berth.tenant=${tenant}`] } }))
      await local
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    const volumes =
      (await local.listVolumes({ filters: { label: [`berth.tenant=${tenant}`] } })).Volumes ?? [];
    for (const v of volumes)
      await local
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
    await removeImages(tenant);
  },
});

const { publisher } = await ensureTestbed();
const manager = nodeDocker("tb1");
engineContract({
  name: "swarm",
  engine: () => new SwarmEngine(manager, "testbed", { images: docker, publisher, pollMs: 500 }),
  startSeconds: 30,
  measuresVolumes: false,
  cluster: true,
  async cleanup(tenant) {
    for (const s of await manager.listServices({ filters: { label: [`berth.tenant=${tenant}`] } }))
      await manager
        .getService(s.ID)
        .remove()
        .catch(() => undefined);
    for (const c of await manager.listConfigs({ filters: { label: [`berth.tenant=${tenant}`] } }))
      await manager
        .getConfig(c.ID)
        .remove()
        .catch(() => undefined);
    await removeImages(tenant);
  },
});
