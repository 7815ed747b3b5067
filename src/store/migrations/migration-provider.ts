import type { Migration, MigrationProvider } from "kysely";
import { initialMigration } from "./001-initial.js";
import { canariesRoutesMigration } from "./002-canaries-routes.js";
import { configMigration } from "./003-config.js";
import { auditMigration } from "./004-audit.js";
import { tenancyMigration } from "./005-tenancy.js";
import { clustersMigration } from "./006-clusters.js";
import { auditChainMigration } from "./007-audit-chain.js";
import { replicaStatusMigration } from "./008-replica-status.js";
import { deploymentStatusMigration } from "./009-deployment-status.js";
import { capabilitiesMigration } from "./010-capabilities.js";
import type { IdColumn } from "./id-column.js";

/** Migrations live in code (not scanned from disk) so the compiled CLI carries them. */
export function migrationProvider(id: IdColumn): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        "001-initial": initialMigration(id),
        "002-canaries-routes": canariesRoutesMigration(id),
        "003-config": configMigration(id),
        "004-audit": auditMigration(id),
        "005-tenancy": tenancyMigration(id),
        "006-clusters": clustersMigration(id),
        "007-audit-chain": auditChainMigration(),
        "008-replica-status": replicaStatusMigration(),
        "009-deployment-status": deploymentStatusMigration(),
        "010-capabilities": capabilitiesMigration(id),
      };
    },
  };
}
