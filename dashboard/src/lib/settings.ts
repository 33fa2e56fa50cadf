import type { OrganRole, OrganView, PersonaView } from "eternego/plugin/shared";
import type { OrganInput } from "./events.js";
import { ROLES, type Provider } from "./providers.js";

/** What the organ form asks for: per role the organ as its fields stand, or null when switched off. */
export type WantedOrgans = Partial<Record<OrganRole, OrganInput | null>>;

/** Whether a wanted organ is the one she has: same provider, model and URL (the default URL when none is given), and no new key. */
function same(have: OrganView, want: OrganInput, providers: Record<string, Provider>): boolean {
  const url = want.url ?? providers[want.provider]?.url ?? "";
  return have.provider === want.provider && have.model === want.model && have.url === url && want.api_key === undefined;
}

/**
 * The `organs` of an update: only what differs from what she has — a changed organ as its
 * fields stand (no key when none was typed, so the stored one is kept), `null` for an optional
 * organ she has and should no longer. Thinking is never removed.
 */
export function organChanges(have: PersonaView["organs"], want: WantedOrgans, providers: Record<string, Provider>): WantedOrgans {
  const out: WantedOrgans = {};
  for (const role of ROLES) {
    if (!(role in want)) continue;
    const w = want[role];
    const h = have[role];
    if (w === null || w === undefined) {
      if (h && role !== "thinking") out[role] = null;
      continue;
    }
    if (!h || !same(h, w, providers)) out[role] = w;
  }
  return out;
}

/** Whether each changed organ has what it needs to be sent (a model). */
export function complete(changes: WantedOrgans): boolean {
  return Object.values(changes).every((o) => o === null || !!o?.model);
}

/** The change in words, for the line that says what was saved. */
export function describeChanges(changes: WantedOrgans, titles: Record<OrganRole, { title: string }>): string {
  const parts = (Object.keys(changes) as OrganRole[]).map((role) => {
    const o = changes[role];
    const t = titles[role].title.toLowerCase();
    return o === null ? `${t} removed` : `${t}: ${o!.model} (${o!.provider})`;
  });
  return parts.join("; ");
}
