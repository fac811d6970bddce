import type { AppDeps } from '../../app-deps.ts';
import type { HttpApp } from '../../http/app.ts';

export function registerDecisionRoutes(_app: HttpApp, _deps: AppDeps) {}
