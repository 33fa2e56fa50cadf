export type Theme = "light" | "dark" | "system";
const KEY = "eternego.theme";

export function savedTheme(): Theme {
  try {
    const t = localStorage.getItem(KEY);
    return t === "light" || t === "dark" ? t : "system";
  } catch {
    return "system";
  }
}

/** Applies a theme to the page and remembers it (per browser, shared by its tabs). */
export function applyTheme(t: Theme, remember = true): void {
  if (t === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
  if (!remember) return;
  try {
    if (t === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, t);
  } catch {
    // private mode: the choice lasts as long as the page
  }
}

/** Follows a choice made in another tab. */
export function followOtherTabs(onChange: (t: Theme) => void): () => void {
  const f = (e: StorageEvent) => {
    if (e.key !== KEY) return;
    const t = savedTheme();
    applyTheme(t, false);
    onChange(t);
  };
  window.addEventListener("storage", f);
  return () => window.removeEventListener("storage", f);
}
