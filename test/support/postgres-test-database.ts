import { randomBytes } from "node:crypto";
import pg from "pg";

/** Only an explicit BERTH_SKIP_POSTGRES=1 skips the PostgreSQL variants; a missing URL fails them. */
export const skipPostgres = process.env.BERTH_SKIP_POSTGRES === "1";

/** The test cluster's URL (scripts/postgres start), or a failure that says how to get one. */
export function testPostgresUrl(): string {
  const url = process.env.BERTH_TEST_POSTGRES_URL;
  if (!url)
    throw new Error(
      "BERTH_TEST_POSTGRES_URL is not set: run ./scripts/postgres start and export BERTH_TEST_POSTGRES_URL=$(./scripts/postgres url) (or set BERTH_SKIP_POSTGRES=1 to skip the PostgreSQL tests)",
    );
  return url;
}

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs one statement on this database through a connection of its own. */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<R[]>;
  drop(): Promise<void>;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A new, empty database on the test cluster for one test; drop() removes it even if a store
 * left connections open. Byte-order collation, whatever the cluster's default, as Berth needs.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = testPostgresUrl();
  const name = `berth_t_${randomBytes(6).toString("hex")}`;
  await withClient(admin, (c) =>
    c.query(`create database ${name} template template0 encoding 'UTF8' locale 'C'`),
  );
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    query: (text, values) => withClient(url.toString(), async (c) => (await c.query(text, values)).rows),
    drop: () =>
      withClient(admin, (c) => c.query(`drop database if exists ${name} with (force)`)).then(() => {}),
  };
}
