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

/**
 * The browser defences (SPEC §6), shared by HTTP and the socket.io handshake. With no token
 * the daemon trusts loopback, so it must refuse what a web page could make a browser send:
 * a foreign Host (DNS rebinding) and a state-changing request from a foreign Origin (CSRF).
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
    return new Forbidden(`Refused: Host '${req.headers.host ?? ""}' is not this machine. Eternego answers only on localhost / 127.0.0.1.`);
  }
  const origin = req.headers.origin;
  if (stateChanging && origin !== undefined) {
    let originHost = "";
    try {
      originHost = new URL(origin).hostname.toLowerCase();
      if (originHost.includes(":")) originHost = `[${originHost.replace(/^\[|\]$/g, "")}]`;
    } catch {
      originHost = "";
    }
    if (!isLoopback(originHost)) {
      return new Forbidden(`Refused: a page at ${origin} may not change your personas. Use the dashboard at http://${req.headers.host}/ or call the API directly.`);
    }
  }
  return null;
}
