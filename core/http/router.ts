import path from "node:path";
import express, { type NextFunction, type Request, type Response } from "express";
import type { AgentRegistry } from "../agent-registry.js";
import type { Logger } from "../logger.js";
import type { PersonaStore } from "../persona-store.js";
import type { Route, RouteContext } from "./route.js";
import { receiveUpload } from "./uploads.js";
import { check } from "./validation.js";

export interface RouterDeps {
  store: PersonaStore;
  agents: AgentRegistry;
  tmpDir: string;
  /** Check each response against its documented schema; a mismatch is a 500 (tests turn it on). */
  checkResponses: boolean;
  log: Logger;
}

/** Turns the route table into an express router: validate, check preconditions, read the body, handle. */
export function buildRouter(routes: readonly Route[], deps: RouterDeps): express.Router {
  const router = express.Router();
  const json = express.json({ limit: "1mb", strict: true });

  for (const r of routes) {
    const run = async (req: Request, res: Response) => {
      res.locals.errorFormat = r.errorFormat ?? "detail";
      const ctx: RouteContext = {
        params: check(r.params, req.params, "path"),
        query: check(r.query, { ...(req.query as object) }, "query"),
        body: undefined,
        files: [],
        req,
        res,
      };
      // 404 before 409 before anything about the body (SPEC §6).
      if (r.params && "id" in ctx.params && (r.kind === "config" || r.kind === "live" || r.kind === "lifecycle")) {
        await deps.store.get(ctx.params.id);
        if (r.kind === "live") deps.agents.get(ctx.params.id);
      }
      if (r.upload) {
        const { fields, files } = await receiveUpload(ctx, r.upload, path.join(deps.tmpDir, "uploads"), deps.log);
        ctx.files = files;
        ctx.body = check(r.upload.fields, fields, "body");
      } else if (r.body) {
        await new Promise<void>((resolve, reject) => json(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
        ctx.body = check(r.body, req.body, "body");
      }
      const reply = await r.handler(ctx);
      if (res.headersSent) return;
      const status = reply.status ?? 200;
      if (deps.checkResponses) {
        const doc = r.responses[status];
        if (!doc) throw new Error(`${r.method.toUpperCase()} ${r.path} answered ${status}, which its route does not document`);
        const { error } = doc.schema ? doc.schema.validate(reply.body, { allowUnknown: false }) : { error: undefined };
        if (error) throw new Error(`${r.method.toUpperCase()} ${r.path} answered a body that breaks its documented schema: ${error.message}`);
      }
      res.status(status).json(reply.body);
    };
    router[r.method](r.path, (req: Request, res: Response, next: NextFunction) => {
      run(req, res).catch(next);
    });
  }
  return router;
}
