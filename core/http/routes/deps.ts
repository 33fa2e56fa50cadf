import type { AgentRegistry } from "../../agent-registry.js";
import type { ChannelService } from "../../channels/channel-service.js";
import type { Diaries } from "../../diary/diaries.js";
import type { EventBus } from "../../event-bus.js";
import type { KnownSecrets } from "../../known-secrets.js";
import type { OrganLedger } from "../../organ-ledger.js";
import type { PersonaService } from "../../persona-service.js";
import type { PersonaStore } from "../../persona-store.js";
import type { PluginRegistry } from "../../plugin-registry.js";
import { NotImplemented } from "../../api/errors.js";

/** What route handlers may use. Handed in by the composition root; routes never resolve anything. */
export interface RouteDeps {
  personas: PersonaService;
  store: PersonaStore;
  agents: AgentRegistry;
  plugins: PluginRegistry;
  /** Token usage and last faults per persona and organ (diagnose). */
  ledger: OrganLedger;
  diaries: Diaries;
  channels: ChannelService;
  bus: EventBus;
  secrets: KnownSecrets;
}

/**
 * Thrown by routes whose checks are in place but whose capability is not built yet.
 * The detail names the missing capability so nobody mistakes it for a result.
 */
export function notYet(capability: string): never {
  throw new NotImplemented(`${capability} is not built yet in this version of Eternego; the request was valid and nothing was changed.`);
}
