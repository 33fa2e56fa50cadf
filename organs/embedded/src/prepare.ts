import type { ModelContext, OrganSpec } from "eternego/plugin";
import { download } from "./download.js";
import { check, plan } from "./open.js";

/**
 * Makes the organ usable: fetches a referenced model once (with progress), then checks the
 * file all the way to a load in a child process. Nothing stays loaded: the model is loaded
 * into the daemon when a persona using it starts. Every refusal names the file and why.
 */
export async function prepare(spec: OrganSpec, ctx: ModelContext): Promise<void> {
  const p = plan(spec, ctx);
  if (p.url) await download({ url: p.url, file: p.file }, spec, ctx);
  const { inspection, probed } = await check(p, ctx);
  ctx.log.info(`ready: ${p.file} (${inspection.architecture}, ${probed.wrapper} chat template, about ${(inspection.needs / 1024 ** 2).toFixed(0)} MB of memory)`, { file: p.file });
}
