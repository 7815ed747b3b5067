import type { Readable } from "node:stream";

/**
 * What services need from an engine, said structurally so services do not depend on any
 * engine module: main.ts passes the real engine, which satisfies these shapes.
 */
export interface ImageLookup {
  inspectImage(ref: string): Promise<{ id: string; exposedPorts: number[] } | null>;
}

export interface ImageBuilder {
  build(
    context: Readable,
    options: { tag: string; labels: Record<string, string> },
    onLog: (line: string) => void,
  ): Promise<{ id: string; exposedPorts: number[] }>;
}

export interface RunningView {
  list(selector: { tenant?: string; env?: string; app?: string }): Promise<
    {
      id: string;
      name: string;
      release: number;
      slot: number;
      state: string;
      hostPort: number | null;
      createdAt: string;
    }[]
  >;
  logs(id: string, options: { follow: boolean; tail: number }): Promise<Readable>;
}

export type HealthCheck = (hostPort: number, path: string) => Promise<boolean>;

export interface RoutingSettings {
  domain: string;
  routerPort: number;
}
