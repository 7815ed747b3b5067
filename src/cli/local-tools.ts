/** What the local (not API) commands run, loaded only when one of them is called. */
export interface LocalTools {
  /** Copies the stopped SQLite install's database into an empty PostgreSQL database. */
  migrateStore(sqliteFile: string, postgresUrl: string): Promise<StoreCopyReport>;
}

export interface StoreCopyReport {
  from: string;
  /** Password hidden. */
  to: string;
  tables: { table: string; rows: number }[];
  rows: number;
}
