import { defineChannel, Unauthorized } from "eternego/plugin";
import { Gateway } from "./src/gateway.js";
import { inboundOf } from "./src/inbound.js";
import { DiscordRest, HOW_TO_FIX_TOKEN } from "./src/rest.js";

/**
 * Discord: direct messages to a bot of hers. REST v10 sends her words and shows her typing;
 * the gateway v10 (a WebSocket) brings what people write, resumed across drops and daemon
 * restarts so nothing said in between is lost. Pairing, the outbox, splitting and dedupe are
 * the daemon's: this only speaks Discord.
 */
export default defineChannel({
  name: "discord",
  version: "1.0.0",
  title: "Discord (direct messages to a bot)",
  credentials: [
    { key: "token", label: "Bot token", secret: true, required: true },
    { key: "api_url", label: "API base (leave empty for discord.com/api)", secret: false, required: false },
  ],
  maxText: 2000,
  async validate(credentials) {
    const me = await new DiscordRest(credentials.api_url, credentials.token ?? "").me();
    return { name: me.username };
  },
  async connect(credentials, ctx) {
    const token = credentials.token ?? "";
    let gateway: Gateway | null = null;
    const rest = new DiscordRest(credentials.api_url, token, ctx.signal, (doing) =>
      gateway?.abandon(new Unauthorized(`Channel 'discord': Discord refused the token (401 Unauthorized) when she ${doing}; it was reset or the bot was deleted. ${HOW_TO_FIX_TOKEN}`)),
    );
    gateway = new Gateway({ url: await rest.gateway(), token, ctx, inbound: (d, self) => inboundOf(d, self, ctx.signal), history: (chat, after) => rest.history(chat, after) });
    await gateway.start();
    const g = gateway;
    return {
      send: (chat, text, ref) => rest.send(chat, text, ref),
      typing: (chat) => rest.typing(chat),
      closed: g.closed,
      close: () => g.close(),
    };
  },
});
