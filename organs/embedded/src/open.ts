import { OrganFault, type ModelContext, type OrganSpec, type OrganTarget } from "eternego/plugin";
import { engine, presence } from "./engine.js";
import { checkFile, inspect } from "./gguf-file.js";
import { isHeld, type Loaded } from "./models.js";
import { probe } from "./probe.js";
import { parseRef } from "./reference.js";
import { settings, type Settings } from "./settings.js";

/** An organ's model, resolved: the settings, the file, and whom to blame (the organ, at that file). */
export interface Plan {
  s: Settings;
  file: string;
  url: string | null;
  target: OrganTarget;
}

/** Reads the settings and the model reference. Throws `Invalid` for a bad setting or reference. */
export function plan(spec: OrganSpec, ctx: ModelContext): Plan {
  const s = settings(process.env, ctx.home);
  const ref = parseRef(spec.model, s.modelsDir, ctx.role);
  // Faults name the file where the model is: it is what the person can look at and fix.
  const target: OrganTarget = { role: ctx.role, provider: spec.provider, model: spec.model, url: ref.file };
  return { s, file: ref.file, url: ref.kind === "remote" ? ref.url : null, target };
}

/**
 * Everything short of loading the model into the daemon: the file is a GGUF, the engine is
 * there, the header is sound, the machine has the memory, and the file loads in a child
 * process (see probe.ts).
 */
export async function check(p: Plan, ctx: ModelContext) {
  const stamp = await checkFile(p.file, p.target);
  const { lib, llama } = await engine(p.s, p.target, ctx.log);
  const inspection = await inspect(lib, llama, stamp, p.s.contextSize, p.target, isHeld(p.file));
  const here = presence();
  const probed = await probe(here.ok ? here.entry : "", stamp, p.target, Math.max(ctx.timeoutMs, 30_000));
  return { lib, llama, inspection, probed };
}

/** Checks, then loads the model into the daemon: what the first organ to hold a file does. */
export async function load(p: Plan, ctx: ModelContext): Promise<Loaded> {
  const { lib, llama, inspection, probed } = await check(p, ctx);
  try {
    const model = await llama.loadModel({ modelPath: p.file });
    return { lib, model, contextSize: inspection.contextSize, trainContext: inspection.trainContext, wrapper: probed.wrapper };
  } catch (err) {
    throw new OrganFault("model", p.target, null, `llama.cpp could not load ${p.file} (${(err as Error).message.split("\n")[0]}).`, { cause: err });
  }
}
