import type { AccessService } from "../services/access-service.js";
import type { AdminService } from "../services/admin-service.js";
import type { AppService } from "../services/app-service.js";
import type { AuditService } from "../services/audit-service.js";
import type { BuildService } from "../services/build-service.js";
import type { CanaryService } from "../services/canary-service.js";
import type { ConfigService } from "../services/config-service.js";
import type { DeployService } from "../services/deploy-service.js";
import type { EnvironmentService } from "../services/environment-service.js";
import type { IdentityService } from "../services/identity-service.js";
import type { LinkService } from "../services/link-service.js";
import type { ManifestService } from "../services/manifest-service.js";
import type { MemberService } from "../services/member-service.js";
import type { PolicyService } from "../services/policy-service.js";
import type { QuotaService } from "../services/quota-service.js";
import type { RouteService } from "../services/route-service.js";
import type { RuntimeService } from "../services/runtime-service.js";
import type { TenantService } from "../services/tenant-service.js";

export interface ApiServices {
  access: AccessService;
  identity: IdentityService;
  members: MemberService;
  quotas: QuotaService;
  policy: PolicyService;
  links: LinkService;
  tenants: TenantService;
  environments: EnvironmentService;
  apps: AppService;
  deploys: DeployService;
  runtime: RuntimeService;
  builds: BuildService;
  canaries: CanaryService;
  routes: RouteService;
  config: ConfigService;
  manifests: ManifestService;
  admin: AdminService;
  audit: AuditService;
}
