/** The screens of a persona, each with its own link. */
export const TABS = ["chat", "knowledge", "calendar", "channels", "settings", "health", "feed"] as const;
export type Tab = (typeof TABS)[number];

/** Where the page is: every screen has a link, so a reload or a shared link opens the same one. */
export type Place =
  | { name: "personas" }
  | { name: "create" }
  | { name: "restore" }
  | { name: "plugins" }
  | { name: "persona"; id: string; tab: Tab; arg: string | null }
  | { name: "missing"; path: string };

/** `#/persona/<id>/calendar/2026-12` → the place it names. */
export function parse(hash: string): Place {
  const path = hash.replace(/^#/, "") || "/";
  const parts = path.split("/").filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts.length === 0) return { name: "personas" };
  if (parts.length === 1 && parts[0] === "new") return { name: "create" };
  if (parts.length === 1 && parts[0] === "restore") return { name: "restore" };
  if (parts.length === 1 && parts[0] === "plugins") return { name: "plugins" };
  if (parts[0] === "persona" && parts[1] && parts.length <= 4) {
    const tab = (parts[2] ?? "chat") as Tab;
    if (TABS.includes(tab)) return { name: "persona", id: parts[1], tab, arg: parts[3] ?? null };
  }
  return { name: "missing", path };
}

/** The link to a place. */
export function href(p: Place): string {
  switch (p.name) {
    case "personas":
      return "#/";
    case "create":
      return "#/new";
    case "restore":
      return "#/restore";
    case "plugins":
      return "#/plugins";
    case "persona":
      return `#/persona/${encodeURIComponent(p.id)}/${p.tab}${p.arg ? `/${encodeURIComponent(p.arg)}` : ""}`;
    case "missing":
      return `#${p.path}`;
  }
}

/** Goes to a place (a new history entry, so back and forward work); `replace` for a redirect. */
export function go(p: Place, replace = false): void {
  const to = href(p);
  if (replace) history.replaceState(null, "", to);
  else if (location.hash !== to) location.hash = to;
  if (replace) window.dispatchEvent(new HashChangeEvent("hashchange"));
}
