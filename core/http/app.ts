import path from "node:path";
import express from "express";
import swaggerUi from "swagger-ui-express";
import { NotFound } from "../api/errors.js";
import type { Config } from "../config.js";
import type { KnownSecrets } from "../known-secrets.js";
import type { Logger } from "../logger.js";
import { errorMiddleware } from "./errors.js";
import { guardRequest } from "./guards.js";
import { buildOpenApi } from "./openapi.js";
import type { Route } from "./route.js";
import { buildRouter } from "./router.js";
import type { RouteDeps } from "./routes/deps.js";
import { diaryRoutes } from "./routes/diary.js";
import { channelRoutes } from "./routes/channels.js";
import { healthRoutes } from "./routes/health.js";
import { memoryRoutes } from "./routes/memory.js";
import { mindRoutes } from "./routes/mind.js";
import { openaiRoutes } from "./routes/openai.js";
import { personaRoutes } from "./routes/personas.js";
import { pluginRoutes } from "./routes/plugins.js";
import { dashboard } from "./dashboard.js";
import { packageVersion } from "../version.js";

/** The whole route table, in matching order. */
export function routeTable(deps: RouteDeps, home: string): Route[] {
  return [...pluginRoutes(deps), ...personaRoutes(deps), ...diaryRoutes({ ...deps, home }), ...mindRoutes(deps), ...memoryRoutes(deps), ...healthRoutes(deps), ...channelRoutes(deps), ...openaiRoutes(deps)];
}

/** Composes the express app: defences first, then the routes, the docs, the 404s, the one error handler. */
export function buildApp(config: Config, deps: RouteDeps, log: Logger, secrets: KnownSecrets): { app: express.Express; routes: Route[] } {
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  app.use((req, _res, next) => next(guardRequest(config, req) ?? undefined));

  const routes = routeTable(deps, config.home);
  app.use(buildRouter(routes, { store: deps.store, agents: deps.agents, tmpDir: path.join(config.home, "tmp"), checkResponses: config.checkResponses, log }));

  const doc = buildOpenApi(routes, packageVersion());
  app.get("/openapi.json", (_req, res) => void res.json(doc));
  app.use(
    "/docs",
    swaggerUi.serve,
    swaggerUi.setup(undefined, {
      // validatorUrl null: the viewer would otherwise send the document to validator.swagger.io (no CDN, no outside calls).
      swaggerOptions: { url: "/openapi.json", validatorUrl: null },
      customSiteTitle: "Eternego API",
    }),
  );

  app.use(["/api", "/v1"], (req, _res, next) => next(new NotFound(`No route ${req.method} ${req.originalUrl.split("?")[0]}; the API is listed at /docs.`)));
  app.use(dashboard());
  app.use(errorMiddleware(log, secrets));
  return { app, routes };
}
