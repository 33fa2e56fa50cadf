import { defineChannel, Invalid } from "eternego/plugin";
import { ApiFault, BotApi } from "./src/bot-api.js";
import type { TgUser } from "./src/inbound.js";
import { Poller } from "./src/poller.js";

/**
 * Telegram, through a bot: the person talks with her in a chat with the bot (or a group it is
 * in). The Bot API over plain HTTPS — getUpdates long polling in, sendMessage out — so nothing
 * needs to reach this machine from outside. `api_url` points it at another Bot API server (a
 * self-hosted `telegram-bot-api`, or a test's fake).
 */
export default defineChannel({
  name: "telegram",
  version: "1.0.0",
  title: "Telegram",
  credentials: [
    { key: "token", label: "Bot token (from @BotFather)", secret: true, required: true },
    { key: "api_url", label: "Bot API server (leave empty for api.telegram.org)", secret: false, required: false },
  ],
  maxText: 4096,

  async validate(credentials) {
    const api = new BotApi(credentials);
    let me: TgUser;
    try {
      me = await api.call<TgUser>("getMe", {}, { timeoutMs: 15_000 });
    } catch (err) {
      if (!(err instanceof ApiFault)) throw err;
      if (err.status === 401) {
        throw new Invalid("Channel 'telegram' refused the token: Telegram answered 401 Unauthorized. Copy the token again from @BotFather (/mybots → your bot → API Token); if it was revoked there, give the new one.");
      }
      if (err.status === 404) {
        throw new Invalid("Channel 'telegram' refused the token: the Bot API server answered 404 Not Found, as Telegram does for a token that is not one. Copy it whole from @BotFather — or, if you gave a 'Bot API server', check that it is one.");
      }
      if (err.status === null) throw new Error(`${err.description} — check this machine's connection, or leave 'Bot API server' empty for api.telegram.org.`);
      throw new Error(`the Bot API server answered getMe with ${err.status} ${err.description}; try again in a moment.`);
    }
    if (!me?.username) throw new Error("the Bot API server answered getMe without the bot's username — is 'Bot API server' a Telegram Bot API server?");
    return { name: `@${me.username}` };
  },

  async connect(credentials, ctx) {
    return new Poller(new BotApi(credentials), ctx).open();
  },
});
