import type { OrganRole } from "eternego/plugin/shared";
import { api } from "./api.js";

/** A model plugin as `GET /api/config/providers` describes it. */
export interface Provider {
  title: string;
  url: string;
  needs_key: boolean;
  roles: OrganRole[];
  presets: { name: string; title: string; url: string; needs_key: boolean }[];
}

let cached: Promise<Record<string, Provider>> | null = null;

/** The providers this daemon has (asked once per page; plugins load only when the daemon starts). */
export function providers(): Promise<Record<string, Provider>> {
  cached ??= api.get<Record<string, Provider>>("/api/config/providers").catch((err) => {
    cached = null;
    throw err;
  });
  return cached;
}

/**
 * Whether a provider runs inside the daemon (the embedded engine): its default URL is in the
 * reserved `.invalid` domain, which never resolves, because there is no server to give. For
 * such a provider the form asks for no URL, and a preset is a model file to fetch: its `url`
 * goes in the organ's model.
 */
export function inProcess(p: Provider | undefined): boolean {
  if (!p) return false;
  try {
    return new URL(p.url).hostname.endsWith(".invalid");
  } catch {
    return false;
  }
}

/** What the model field asks of an in-process provider. */
export const MODEL_FILE = {
  placeholder: "/home/you/models/model.gguf or hf:user/repo/file.gguf",
  hint: "A .gguf model file on this machine (its full path), or a link to fetch once into the daemon's models folder: https://…/model.gguf or hf:<user>/<repo>/<file>.gguf. It runs inside Eternego: there is no server to start.",
} as const;

/** Her organ roles, in the order forms show them (the daemon's own list, as a type check keeps it). */
export const ROLES = ["thinking", "vision", "hearing", "frontier"] as const satisfies readonly OrganRole[];
type Missing = Exclude<OrganRole, (typeof ROLES)[number]>;
const _everyRole: Missing extends never ? true : never = true;
void _everyRole;

export const ROLE_TEXT: Record<OrganRole, { title: string; what: string }> = {
  thinking: { title: "Thinking", what: "Her own voice: every answer is thought through it." },
  vision: { title: "Vision", what: "Describes the pictures you send her." },
  hearing: { title: "Hearing", what: "Turns your voice notes into words." },
  frontier: { title: "Frontier", what: "A stronger model she asks once to learn a new kind of task." },
};
