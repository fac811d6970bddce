import type { AppDeps } from './app-deps.ts';
import { registerDemoRoutes } from './demo/demo-page.ts';
import { registerApiKeyRoutes } from './features/api-keys/api-key-routes.ts';
import { registerAuditRoutes } from './features/audit/audit-routes.ts';
import { registerCatalogRoutes } from './features/catalog/catalog-routes.ts';
import { registerBannerStatsRoutes } from './features/collect/banner-stats-routes.ts';
import { registerCollectRoutes } from './features/collect/collect-routes.ts';
import { registerConsentRoutes } from './features/consents/consent-routes.ts';
import { registerDecisionRoutes } from './features/decision/decision-routes.ts';
import { registerLedgerRoutes } from './features/ledger/ledger-routes.ts';
import { registerServiceRoutes } from './features/service/service-routes.ts';
import { registerSubjectRoutes } from './features/subjects/subject-routes.ts';
import { registerSubjectTokenRoutes } from './features/subjects/subject-token-routes.ts';
import { registerWorkspaceRoutes } from './features/workspaces/workspace-routes.ts';
import type { HttpApp } from './http/app.ts';

/** Every feature's routes, registered on one app. */
export function registerRoutes(app: HttpApp, deps: AppDeps) {
  registerServiceRoutes(app, deps);
  registerWorkspaceRoutes(app, deps);
  registerApiKeyRoutes(app, deps);
  registerCatalogRoutes(app, deps);
  registerSubjectRoutes(app, deps);
  registerSubjectTokenRoutes(app, deps);
  registerConsentRoutes(app, deps);
  registerLedgerRoutes(app, deps);
  registerDecisionRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerCollectRoutes(app, deps);
  registerBannerStatsRoutes(app, deps);
  registerDemoRoutes(app, deps);
}
