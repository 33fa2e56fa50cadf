import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import Joi from "joi";
import { Invalid, ValidationFailed } from "../../api/errors.js";
import { localDate } from "../../mind/clock.js";
import { disposition } from "../disposition.js";
import { route, type Route } from "../route.js";
import { channelInput, idParams, organsInput, personaReply } from "../schemas.js";
import { check } from "../validation.js";
import { onlyExtensions } from "./accept.js";
import type { RouteDeps } from "./deps.js";

const T = "diary";
const MAX_DIARY = 8 * 1024 ** 3;

/** A JSON text field of a multipart form, validated like the JSON body it stands for. */
function jsonField<T>(text: string | undefined, schema: Joi.Schema, field: string): T | undefined {
  if (text === undefined || text === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ValidationFailed([{ loc: ["body", field], msg: `'${field}' must be JSON text: ${(err as Error).message}`, type: "json_invalid" }]);
  }
  try {
    return check<T>(schema, value, "body");
  } catch (err) {
    // Named as the form field it came in: body.organs.thinking.provider.
    if (err instanceof ValidationFailed) throw new ValidationFailed(err.errors.map((e) => ({ ...e, loc: ["body", field, ...e.loc.slice(1)] })));
    throw err;
  }
}

/** Room for a diary of `size` bytes to be unpacked beside the upload: twice its size and a margin. */
async function roomFor(home: string, size: number): Promise<void> {
  const s = await fs.statfs(home).catch(() => null);
  if (!s) return;
  const free = s.bavail * s.bsize;
  const need = size * 2 + 64 * 1024 ** 2;
  if (free < need) {
    throw new Invalid(`There is not room to restore this diary: it needs about ${Math.ceil(need / 1024 ** 2)} MiB free in ${home}, and ${Math.floor(free / 1024 ** 2)} MiB are. Free some space and try again.`);
  }
}

/** Her diary: a fresh one as a download, a restore from one, a new recovery phrase. */
export function diaryRoutes({ personas, store, diaries, home }: RouteDeps & { home: string }): Route[] {
  return [
    route({
      method: "get", path: "/api/persona/:id/export", tag: T, kind: "config", params: idParams,
      summary: "A fresh encrypted diary of her, as a download",
      description:
        "Written now (her writes wait the moment it takes, so it is of one moment), kept as her latest diary, and sent as `<name>-<date>.diary`. " +
        "Works whether she runs or not. Only her recovery phrase opens it; `docs/diary-format.md` says how to open it with standard tools.",
      responses: { 200: { description: "The diary file", contentType: "application/octet-stream" } },
      errors: [400, 404],
      handler: async ({ params, res }) => {
        const rec = await store.get(params.id);
        const file = await diaries.write(rec.id);
        const name = `${rec.name.replace(/[\\/\x00-\x1f\x7f]/g, "-")}-${localDate()}.diary`;
        res.status(200).set({
          "Content-Type": "application/octet-stream",
          "Content-Length": String(file.bytes),
          "Content-Disposition": disposition("attachment", name),
          "Cache-Control": "no-store",
          "X-Content-Type-Options": "nosniff",
        });
        // A client that goes away mid-file is not an error of ours.
        await pipeline(createReadStream(file.path), res).catch(() => res.destroy());
        return { body: null };
      },
    }),
    route({
      method: "post", path: "/api/persona/migrate", tag: "personas", kind: "lifecycle",
      summary: "Restore a persona from her diary and recovery phrase, with her own id",
      description:
        "Multipart: `diary` (the .diary file), `phrase` (her 24 words), `organs` (JSON text, as in create; omitted: the organs her diary names, " +
        "which must then need no key), `channels` (JSON text, as in create; they come back unverified) and `replace` (`true` to put the diary in the place " +
        "of a persona with her id already here). Every refusal (a wrong or mistyped phrase, a damaged diary, an organ that cannot be prepared) is a 400 " +
        "that says what is wrong, and leaves nothing on disk.",
      upload: {
        files: [{ name: "diary", maxCount: 1, required: true, description: "The .diary file" }],
        fields: Joi.object({
          phrase: Joi.string().max(400).required().description("Her 24-word recovery phrase"),
          organs: Joi.string().max(8000).allow("").description("JSON text: the organs she should use here, as in create"),
          channels: Joi.string().max(8000).allow("").description("JSON text: channels as in create"),
          replace: Joi.valid("true", "false").default("false").description("`true`: replace a persona with her id already here"),
        }).unknown(false),
        accept: onlyExtensions([".diary"], "a diary", MAX_DIARY),
      },
      responses: { 201: { description: "Restored and started", schema: personaReply } },
      errors: [400, 409, 413, 415],
      handler: async ({ files, body }) => {
        const organs = jsonField<any>(body.organs, organsInput.required(), "organs");
        const channels = jsonField<any>(body.channels, Joi.array().items(channelInput).max(10).required(), "channels");
        await roomFor(home, files[0]!.size);
        const persona = await personas.migrate({ file: files[0]!.path, phrase: body.phrase, organs, channels, replace: body.replace === "true" });
        return { status: 201, body: { persona } };
      },
    }),
    route({
      method: "post", path: "/api/persona/:id/recovery-phrase", tag: T, kind: "config", params: idParams,
      summary: "A new recovery phrase for her, shown once",
      description:
        "Her diaries are written to the new phrase's key from now on, a fresh one at once. Diaries written before keep needing the phrase they were written with. " +
        "The way to give a key to a persona made before diaries had one, or to replace a lost or exposed phrase.",
      responses: {
        200: {
          description: "The new phrase",
          schema: Joi.object({
            recovery_phrase: Joi.string().required().description("24 BIP-39 words; shown once, never stored"),
            fingerprint: Joi.string().required().description("The fingerprint of her new diary key, as diaries' headers show it"),
            diary: Joi.string().required().description("When the diary written to the new key was made"),
            detail: Joi.string().required(),
          }).label("NewPhrase"),
        },
      },
      errors: [404],
      handler: async ({ params }) => ({
        body: { ...(await personas.newPhrase(params.id)), detail: "Keep these words: they are shown once. Diaries written before today still need the phrase they were written with." },
      }),
    }),
  ];
}
