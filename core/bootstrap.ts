import "reflect-metadata";
import { container } from "tsyringe";
import { AgentKit } from "./agent.js";
import { AgentRegistry } from "./agent-registry.js";
import { Config } from "./config.js";
import { Daemon } from "./daemon.js";
import { ChannelService } from "./channels/channel-service.js";
import { Diaries } from "./diary/diaries.js";
import { EventBus } from "./event-bus.js";
import { buildApp } from "./http/app.js";
import { KnownSecrets } from "./known-secrets.js";
import { Logger, createLogger } from "./logger.js";
import { Organs } from "./organs.js";
import { OrganLedger } from "./organ-ledger.js";
import { PersonaService } from "./persona-service.js";
import { PersonaStore } from "./persona-store.js";
import { loadPlugins } from "./plugin-host.js";
import { PluginRegistry } from "./plugin-registry.js";

/**
 * The composition root: the only place (besides tests) that resolves from the container.
 * Each daemon gets its own child container, so several can live in one process.
 */
export async function buildDaemon(config: Config): Promise<Daemon> {
  const log = createLogger(config.home, config.terminalLog);
  const plugins = await loadPlugins(config.home, config.plugins);
  for (const r of plugins.records) {
    if (r.state === "failed") log.warn({ plugin: r.name }, `Plugin skipped: ${r.error}`);
  }
  void plugins.home; // no daemon without the channel every persona has (it throws saying why)

  const c = container.createChildContainer();
  c.registerInstance(Config, config);
  c.registerInstance(Logger, log);
  c.registerInstance(EventBus, new EventBus());
  c.registerInstance(KnownSecrets, new KnownSecrets());
  c.registerInstance(OrganLedger, new OrganLedger());
  c.registerInstance(PluginRegistry, plugins);
  c.registerSingleton(PersonaStore);
  c.registerSingleton(Diaries);
  c.registerSingleton(AgentKit);
  c.registerSingleton(AgentRegistry);
  c.registerSingleton(Organs);
  c.registerSingleton(PersonaService);
  c.registerSingleton(ChannelService);

  const store = c.resolve(PersonaStore);
  const agents = c.resolve(AgentRegistry);
  const personas = c.resolve(PersonaService);
  const bus = c.resolve(EventBus);
  const { app, routes } = buildApp(config, { personas, store, agents, plugins, ledger: c.resolve(OrganLedger), diaries: c.resolve(Diaries), channels: c.resolve(ChannelService), bus, secrets: c.resolve(KnownSecrets) }, log, c.resolve(KnownSecrets));
  return new Daemon({ config, log, app, personas, agents, store, bus, routes, secrets: c.resolve(KnownSecrets), plugins });
}
