import crypto from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Forbidden, Unauthorized, type EternegoError } from "../api/errors.js";
import { LOOPBACK_HOSTS, type Config } from "../config.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function hostname(hostHeader: string): string {
  // "[::1]:5000" → "[::1]", "localhost:5000" → "localhost"
  const m = /^(\[[^\]]*\]|[^:]+)(:\d+)?$/.exec(hostHeader.trim().toLowerCase());
  return m ? m[1]! : "";
}

function isLoopback(name: string): boolean {
  return LOOPBACK_HOSTS.has(name) || name.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** Constant-time comparison of a presented token with the configured one. */
export function sameToken(given: string, expected: string): boolean {
  const a = crypto.createHash("sha256").update(given).digest();
  const b = crypto.createHash("sha256").update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/** Whether an Origin is this daemon's own: a loopback name on the port the request came in on. */
function ownOrigin(origin: string, req: IncomingMessage): boolean {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false;
  }
  let host = u.hostname.toLowerCase();
  if (host.includes(":") && !host.startsWith("[")) host = `[${host}]`;
  const port = u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
  return u.protocol === "http:" && isLoopback(host) && port === req.socket?.localPort;
}

/**
 * The browser defences (SPEC §6), shared by HTTP and the socket.io handshake. With no token
 * the daemon trusts loopback, so it must refuse what a web page could make a browser send:
 * a foreign Host (DNS rebinding), and a state-changing request a page of another origin
 * made — one carrying another Origin (other local ports included), or marked `cross-site`
 * or `same-site` by the browser's Sec-Fetch-Site. A request with no browser marks at all
 * (curl, scripts) is the person's own; `ETERNEGO_ALLOWED_ORIGINS` names more origins to trust.
 */
export function guardRequest(config: Config, req: IncomingMessage, stateChanging = !SAFE_METHODS.has(req.method ?? "GET")): EternegoError | null {
  if (config.token) {
    const auth = req.headers.authorization ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    if (!m || !sameToken(m[1]!.trim(), config.token)) {
      return new Unauthorized("This daemon requires a token: send `Authorization: Bearer <ETERNEGO_TOKEN>`.");
    }
    return null; // a token proves the caller; Host and Origin no longer matter
  }
  const host = hostname(req.headers.host ?? "");
  if (!isLoopback(host)) {
    return new Forbidden(`Refused: Host '${String(req.headers.host ?? "").slice(0, 200)}' is not this machine. Eternego answers only on localhost / 127.0.0.1.`);
  }
  if (!stateChanging) return null;
  const origin = req.headers.origin;
  const site = String(req.headers["sec-fetch-site"] ?? "").toLowerCase();
  const trusted = origin !== undefined && (ownOrigin(origin, req) || config.allowedOrigins.includes(origin.toLowerCase()));
  const fix = `Use the dashboard at http://${req.headers.host}/ or call the API directly` + (config.allowedOrigins.length ? "." : " (ETERNEGO_ALLOWED_ORIGINS lets a UI you develop on another port in).");
  if (origin !== undefined && !trusted) {
    return new Forbidden(`Refused: a page at ${origin.slice(0, 200)} may not change your personas. ${fix}`);
  }
  if (!trusted && site && site !== "same-origin" && site !== "none") {
    return new Forbidden(`Refused: the browser marked this request ${site.slice(0, 40)}, so a page of another site made it; it may not change your personas. ${fix}`);
  }
  return null;
}
