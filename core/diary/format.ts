import { Invalid } from "../api/errors.js";

/**
 * A diary file: five short lines in the clear, then a standard age payload (encrypted to her
 * recipient) holding a tar of her folder.
 *
 *     eternego-diary 1
 *     id 6d0e…-…
 *     fingerprint 3fa2c1d09b7e4455
 *     created 2026-12-01T09:30:00.000Z
 *     (an empty line)
 *     age-encryption.org/v1 …
 *
 * So `tail -n +6 her.diary | age -d -i identity.txt | tar -x` opens it with standard tools.
 */
export const MAGIC = "eternego-diary";
export const DIARY_FORMAT = 1;
/** The header is read no further than this: a file that has none in it is not a diary. */
export const HEADER_MAX = 512;

export interface DiaryHeader {
  format: number;
  id: string;
  fingerprint: string;
  created: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function headerText(h: Omit<DiaryHeader, "format">): string {
  return `${MAGIC} ${DIARY_FORMAT}\nid ${h.id}\nfingerprint ${h.fingerprint}\ncreated ${h.created}\n\n`;
}

/** The header at the start of `head` (its first bytes) and where the payload begins; a 400 saying why when it is not a diary's. */
export function parseHeader(head: Uint8Array): { header: DiaryHeader; payloadAt: number } {
  const text = Buffer.from(head.subarray(0, HEADER_MAX)).toString("latin1");
  const end = text.indexOf("\n\n");
  const notOne = (why: string) => new Invalid(`This file is not an Eternego diary: ${why}.`);
  if (!text.startsWith(`${MAGIC} `)) throw notOne("it does not begin with 'eternego-diary'");
  if (end < 0) throw notOne("its header is cut short");
  const lines = text.slice(0, end).split("\n");
  const [magic, version] = lines[0]!.split(" ");
  if (magic !== MAGIC || !/^\d+$/.test(version ?? "")) throw notOne("its first line is not 'eternego-diary <version>'");
  const format = Number(version);
  if (format !== DIARY_FORMAT) throw new Invalid(`This diary is in format ${format}, which this Eternego (format ${DIARY_FORMAT}) cannot read; use a newer Eternego.`);
  // Exactly these lines, in this order: a header with more or fewer was not written by Eternego.
  if (lines.length !== 4 || !["id ", "fingerprint ", "created "].every((k, i) => lines[i + 1]!.startsWith(k))) throw notOne("its header is not the four lines a diary's is");
  const fields = Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf(" ")), l.slice(l.indexOf(" ") + 1)]));
  if (!UUID.test(fields.id ?? "")) throw notOne("its header names no persona id");
  if (!/^[0-9a-f]{16}$/.test(fields.fingerprint ?? "")) throw notOne("its header has no key fingerprint");
  if (Number.isNaN(Date.parse(fields.created ?? ""))) throw notOne("its header has no date");
  return { header: { format, id: fields.id!, fingerprint: fields.fingerprint!, created: fields.created! }, payloadAt: end + 2 };
}

/**
 * The manifest, the tar's first entry: what the diary says it holds. Inside the encryption,
 * so authenticated: it repeats the header's fields, and a header that does not match it was
 * edited.
 */
export interface Manifest {
  format: number;
  id: string;
  fingerprint: string;
  name: string;
  created: string;
  /** The Eternego version that wrote it. */
  eternego: string;
}

/** Where a header and the manifest inside disagree, or null. */
export function headerMismatch(h: DiaryHeader, m: Manifest): string | null {
  for (const k of ["id", "fingerprint", "created"] as const) if (h[k] !== m[k]) return k;
  return h.format === m.format ? null : "format";
}
