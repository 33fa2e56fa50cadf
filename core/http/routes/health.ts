import fs from "node:fs/promises";
import path from "node:path";
import Joi from "joi";
import { AGENT_STATES, ORGAN_ROLES, PERSONA_STATUSES, type OrganRole } from "../../api/types.js";
import { localDate } from "../../mind/clock.js";
import type { HealthLine } from "../../mind/memory.js";
import { route, type Route } from "../route.js";
import { idParams } from "../schemas.js";
import type { RouteDeps } from "./deps.js";

const UPTIME_DAYS = 7;
const CHUNK = 64 * 1024;

const heartbeat = Joi.object({
  time: Joi.string().isoDate().required(),
  phase: Joi.string().required(),
  inbox: Joi.number().integer().min(0).required().description("Messages waiting in her inbox"),
  thinking: Joi.valid("ok", "fault").required(),
  detail: Joi.string().description("What is wrong with her thinking organ, when it faults"),
  trouble: Joi.string().description("What else keeps her from answering, when something does (a file of hers broken by hand)"),
}).label("Heartbeat");

const trouble = Joi.object({
  kind: Joi.valid("thinking", "files").required().description("Her thinking organ fails, or something else does (most often a file of hers broken by hand)"),
  detail: Joi.string().required().description("What is wrong, and how to put it right"),
  since: Joi.string().isoDate().required(),
}).label("Trouble");

const organHealth = Joi.object({
  provider: Joi.string().required(),
  model: Joi.string().required(),
  url: Joi.string().required(),
  has_key: Joi.boolean().required(),
  calls: Joi.number().integer().min(0).required().description("Calls since the daemon started"),
  input_tokens: Joi.number().integer().min(0).required(),
  output_tokens: Joi.number().integer().min(0).required(),
  last_fault: Joi.object({
    detail: Joi.string().required(),
    status: Joi.number().integer().allow(null).required().description("The provider's HTTP status, when there was one"),
    time: Joi.string().required(),
  })
    .label("OrganFaultRecord")
    .allow(null)
    .required(),
  waiting: Joi.object({ what: Joi.string().required(), since: Joi.string().required() })
    .allow(null)
    .required()
    .description("What a call of it waits for now, e.g. a busy embedded engine; null when none waits"),
  waited: Joi.number().integer().min(0).required().description("How many of its calls had to wait, since the daemon started"),
}).label("OrganHealth");

const uptimeDay = Joi.object({
  date: Joi.string().required().description("A local day, YYYY-MM-DD"),
  hours: Joi.array().items(Joi.number().integer().min(0).max(60)).length(24).required().description("For each local hour, the minutes with a heartbeat"),
}).label("UptimeDay");

const diagnosis = Joi.object({
  id: Joi.string().required(),
  name: Joi.string().required(),
  status: Joi.valid(...PERSONA_STATUSES).required(),
  status_reason: Joi.string().allow(null).required(),
  running: Joi.boolean().required(),
  state: Joi.valid(...AGENT_STATES).required(),
  phase: Joi.valid("morning", "day", "night", null).required(),
  failure: Joi.string().allow(null).required().description("Why her agent last failed to start or stop"),
  uptime_ms: Joi.number().integer().min(0).allow(null).required().description("Since her agent started; null when she is not running"),
  inbox: Joi.number().integer().min(0).allow(null).required().description("What waits in her inbox to be answered; null when she is not running"),
  trouble: trouble.allow(null).required().description("What keeps her from answering now; null when nothing does (or she is not running)"),
  organs: Joi.object(Object.fromEntries(ORGAN_ROLES.map((r) => [r, organHealth]))).required(),
  uptime: Joi.array().items(uptimeDay).length(UPTIME_DAYS).required().description(`The last ${UPTIME_DAYS} local days, oldest first`),
  last_heartbeat: heartbeat.allow(null).required(),
  diary: Joi.object({
    fingerprint: Joi.string().allow(null).required().description("Her diary key's fingerprint; null when she has none yet"),
    latest: Joi.object({ created: Joi.string().required(), bytes: Joi.number().integer().required() }).allow(null).required().description("Her latest diary"),
    detail: Joi.string().allow(null).required().description("What to do, when she has no diary key"),
  })
    .label("DiaryState")
    .required(),
}).label("Diagnosis");

/** A line of health.jsonl cut to the documented fields, or null when it is not one. */
function asHeartbeat(value: unknown): HealthLine | null {
  const { value: out, error } = heartbeat.validate(value, { stripUnknown: true, convert: false });
  return error ? null : (out as HealthLine);
}

/**
 * The heartbeats since `since` and the newest one, reading health.jsonl from its end: it
 * grows by a line a minute, and only its last days matter here.
 */
async function recentHeartbeats(file: string, since: Date): Promise<{ lines: HealthLine[]; newest: HealthLine | null }> {
  const handle = await fs.open(file, "r").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  if (!handle) return { lines: [], newest: null };
  const lines: HealthLine[] = [];
  let newest: HealthLine | null = null;
  try {
    let pos = (await handle.stat()).size;
    let rest = Buffer.alloc(0);
    let done = false;
    while (pos > 0 && !done) {
      const n = Math.min(CHUNK, pos);
      pos -= n;
      const chunk = Buffer.alloc(n);
      await handle.read(chunk, 0, n, pos);
      rest = Buffer.concat([chunk, rest]);
      // Only whole lines (cut at a newline byte, so never inside a character) are read.
      const cut = pos === 0 ? 0 : rest.indexOf(10) + 1;
      if (cut === 0 && pos > 0) continue;
      const text = rest.subarray(cut).toString("utf8");
      rest = rest.subarray(0, cut);
      for (const raw of text.split("\n").reverse()) {
        if (!raw.trim()) continue;
        let line: HealthLine | null = null;
        try {
          line = asHeartbeat(JSON.parse(raw));
        } catch {
          // a line cut by a crash is skipped, as her memory does
        }
        if (!line) continue;
        newest ??= line;
        if (new Date(line.time) < since) {
          done = true;
          break;
        }
        lines.push(line);
      }
    }
  } finally {
    await handle.close();
  }
  return { lines, newest };
}

/** For each of the last days (local), the minutes of each hour with at least one heartbeat. */
function uptimeGrid(lines: HealthLine[], days: string[]): { date: string; hours: number[] }[] {
  const minutes = new Map(days.map((d) => [d, Array.from({ length: 24 }, () => new Set<number>())]));
  for (const line of lines) {
    const t = new Date(line.time);
    minutes.get(localDate(t))?.[t.getHours()]!.add(t.getMinutes());
  }
  return days.map((date) => ({ date, hours: minutes.get(date)!.map((s) => s.size) }));
}

/** The last `n` local days, oldest first, and the local midnight the first one starts at. */
function lastDays(n: number, now = new Date()): { days: string[]; since: Date } {
  const since = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (n - 1));
  const days = Array.from({ length: n }, (_, i) => localDate(new Date(now.getFullYear(), now.getMonth(), now.getDate() - (n - 1) + i)));
  return { days, since };
}

/** How she is: status, organs, faults, uptime, her diary. */
export function healthRoutes({ personas, store, agents, ledger, diaries }: RouteDeps): Route[] {
  const diaryState = async (id: string) => {
    const rec = await store.get(id);
    const fingerprint = (await store.secrets(id)).diary_recipient ? (rec.diary?.fingerprint ?? null) : null;
    const latest = await diaries.latest(id);
    return {
      fingerprint,
      latest: latest ? { created: latest.created, bytes: latest.bytes } : null,
      detail: fingerprint ? null : `She has no diary key yet (she was made before diaries had one), so no diary of her is written. Make her a recovery phrase: POST /api/persona/${id}/recovery-phrase.`,
    };
  };
  return [
    route({
      method: "get", path: "/api/persona/:id/diagnose", tag: "health", kind: "config", params: idParams,
      summary: "Status, running, phase, organ health, last faults, uptime grid",
      description:
        "Organ calls, tokens and last faults are counted since the daemon started. The uptime grid comes from her heartbeats " +
        `(one a minute while she runs) over the last ${UPTIME_DAYS} local days. Never contains a secret.`,
      responses: { 200: { description: "Her diagnosis", schema: diagnosis } },
      errors: [404],
      handler: async ({ params }) => {
        const id: string = params.id;
        const view = await personas.get(id);
        const organs: Record<string, unknown> = {};
        for (const role of Object.keys(view.organs) as OrganRole[]) {
          const o = view.organs[role]!;
          const tally = ledger.of(id, role);
          organs[role] = {
            provider: o.provider, model: o.model, url: o.url, has_key: o.has_key,
            calls: tally.calls, input_tokens: tally.input, output_tokens: tally.output, last_fault: tally.last_fault,
            waiting: tally.waiting, waited: tally.waited,
          };
        }
        const { days, since } = lastDays(UPTIME_DAYS);
        const { lines, newest } = await recentHeartbeats(path.join(store.homeDir(id), "health.jsonl"), since);
        return {
          body: {
            id, name: view.name, status: view.status, status_reason: view.status_reason,
            running: view.running, state: view.state, phase: view.phase,
            failure: agents.failure(id),
            uptime_ms: agents.uptime(id),
            inbox: agents.running(id) ? agents.get(id).pending() : null,
            trouble: agents.running(id) ? agents.get(id).trouble() : null,
            organs,
            uptime: uptimeGrid(lines, days),
            last_heartbeat: newest,
            diary: await diaryState(id),
          },
        };
      },
    }),
  ];
}
