import type { ReactiveController, ReactiveControllerHost } from "lit";

/**
 * Keeps unsaved edits from being lost by leaving. In the page every move is a change of the
 * hash. A link followed is stopped before it moves (so history gets no extra entry). A change
 * made otherwise (back, forward, a typed address, a script) is caught at `popstate`, which the
 * browser fires before `hashchange`: the address is put back there, so the shell, reading
 * `location` at `hashchange`, stays where it is. Either way `ask(to)` is called, and the move
 * happens only through `leave(to)`. Closing or reloading the page is left to the browser's own
 * question (`beforeunload`): no page may show its own there.
 */
export class LeaveGuard implements ReactiveController {
  private here = location.href;

  constructor(
    host: ReactiveControllerHost,
    private readonly dirty: () => boolean,
    private readonly ask: (to: string) => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.here = location.href;
    window.addEventListener("click", this.onClick, true);
    window.addEventListener("popstate", this.onPop);
    window.addEventListener("hashchange", this.onHash);
    window.addEventListener("beforeunload", this.onUnload);
  }

  hostDisconnected(): void {
    window.removeEventListener("click", this.onClick, true);
    window.removeEventListener("popstate", this.onPop);
    window.removeEventListener("hashchange", this.onHash);
    window.removeEventListener("beforeunload", this.onUnload);
  }

  /** Goes where the person chose to go after all (call it once the edit is given up). */
  leave(to: string): void {
    const from = location.href;
    history.pushState(null, "", to);
    window.dispatchEvent(new HashChangeEvent("hashchange", { oldURL: from, newURL: location.href }));
  }

  private readonly onClick = (e: MouseEvent): void => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || !this.dirty()) return;
    const a = e.composedPath().find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement && n.hasAttribute("href"));
    if (!a || (a.target && a.target !== "_self") || a.hasAttribute("download")) return;
    const to = new URL(a.href, location.href);
    const now = new URL(location.href);
    if (to.origin !== now.origin || to.pathname !== now.pathname || to.search !== now.search || to.hash === now.hash) return;
    e.preventDefault();
    this.ask(to.href);
  };

  private readonly onPop = (): void => {
    if (!this.dirty() || location.href === this.here) return;
    const to = location.href;
    history.replaceState(null, "", this.here);
    this.ask(to);
  };

  private readonly onHash = (): void => {
    if (!this.dirty()) this.here = location.href;
  };

  private readonly onUnload = (e: BeforeUnloadEvent): void => {
    if (!this.dirty()) return;
    e.preventDefault();
    // Older engines ask only when returnValue is set.
    e.returnValue = "";
  };
}
