import fs from "node:fs";
import path from "node:path";
import express from "express";
import { packageRoot } from "../version.js";

/** A bundle file: its name carries a hash of its content, so it can be kept for a year. */
const HASHED = /-[A-Za-z0-9_-]{8,}\.(js|css|map)$/;

// What the dashboard page may do: load its own files, talk to this daemon (HTTP and the
// socket), show pictures and sounds she was sent and ones recorded here. Nothing else, and
// no other host.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'none'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/**
 * The dashboard, served at `/` from `dashboard/dist` (built by `npm run build`): hashed
 * bundle files cached for a year, the page itself never, and a page that says what to do
 * when the dashboard has not been built.
 */
export function dashboard(dir = path.join(packageRoot(), "dashboard", "dist")): express.RequestHandler {
  const files = express.static(dir, {
    index: false,
    fallthrough: true,
    setHeaders(res, file) {
      res.setHeader("X-Content-Type-Options", "nosniff");
      res.setHeader("Cache-Control", HASHED.test(path.basename(file)) ? "public, max-age=31536000, immutable" : "no-cache");
    },
  });
  const page = (res: express.Response) => {
    const index = path.join(dir, "index.html");
    res.setHeader("Content-Security-Policy", CSP);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cache-Control", "no-cache");
    if (!fs.existsSync(index)) {
      res.status(503).type("html").send(
        '<!doctype html><meta charset="utf-8"><title>Eternego</title><h1>The dashboard is not built</h1>' +
          "<p>The daemon runs, but its dashboard has not been built yet. Run <code>npm run build</code> (or <code>npm start</code>, which builds it) and reload.</p>" +
          '<p>The whole API is at <a href="/docs">/docs</a> meanwhile.</p>',
      );
      return;
    }
    res.type("html").sendFile(index);
  };
  const router = express.Router();
  router.get(["/", "/index.html"], (_req, res) => page(res));
  router.use(files);
  return router;
}
