import type { ColumnDataType, ColumnDefinitionBuilder } from "kysely";

/** The one place a dialect shows through: how an auto-numbered primary key is spelled. */
export type IdColumn = [ColumnDataType, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder];

export const sqliteId: IdColumn = ["integer", (c) => c.primaryKey().autoIncrement()];
export const postgresId: IdColumn = ["serial", (c) => c.primaryKey()];
