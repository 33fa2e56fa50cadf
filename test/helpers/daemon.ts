import "reflect-metadata";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildDaemon } from "../../core/bootstrap.js";
import { resolveConfig } from "../../core/config.js";
import type { Daemon } from "../../core/daemon.js";

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

export interface TestDaemon {
  daemon: Daemon;
  url: string;
  home: string;
  /** JSON request to the daemon; `body` objects are sent as JSON, strings, bytes and FormData as they are. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
}

type Tap = { teardown(fn: () => unknown): void; testdir?: unknown };

export function tempHome(prefix = "eternego-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A real daemon on an ephemeral loopback port with its own temporary ETERNEGO_HOME. Every
 * response is checked against its documented schema (ETERNEGO_CHECK_RESPONSES), so any test
 * that talks to it also checks the OpenAPI contract.
 */
export async function startDaemon(t: Tap, opts: { home?: string; plugins?: string[]; env?: Record<string, string>; port?: number } = {}): Promise<TestDaemon> {
  const home = opts.home ?? tempHome();
  const config = resolveConfig(
    { home, port: opts.port ?? 0, plugin: opts.plugins },
    { ETERNEGO_QUIET: "1", ETERNEGO_CHECK_RESPONSES: "1", ...opts.env },
  );
  const daemon = await buildDaemon(config);
  await daemon.start();
  t.teardown(async () => {
    await daemon.stop();
    if (!opts.home) fs.rmSync(home, { recursive: true, force: true });
  });
  const url = daemon.url;
  const api = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body instanceof FormData || typeof body === "string" || body instanceof Uint8Array) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    const res = await fetch(url + p, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return { daemon, url, home, api };
}
