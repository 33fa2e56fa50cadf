import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { pino, type Logger as Pino } from "pino";

export type Logger = Pino;
export const Logger = Symbol("core.logger");

const LEVELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

/** One readable line per event for the terminal; the JSON line still goes to the log file. */
function terminalStream(): Writable {
  return new Writable({
    write(chunk, _enc, done) {
      try {
        const { level, time, msg, plugin, persona } = JSON.parse(String(chunk));
        const who = plugin ? ` [${plugin}]` : persona ? ` [${String(persona).slice(0, 8)}]` : "";
        const clock = new Date(time).toTimeString().slice(0, 8);
        process.stderr.write(`${clock} ${LEVELS[level] ?? level}${who} ${msg}\n`);
      } catch {
        process.stderr.write(chunk);
      }
      done();
    },
  });
}

/** JSON lines to `<home>/logs/eternego.log`, and a readable line on the terminal when asked. */
export function createLogger(home: string, terminal: boolean): Logger {
  const dir = path.join(home, "logs");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, "eternego.log");
  // The log says what she does: only the person may read it. A file made before is made private too.
  if (fs.existsSync(file)) fs.chmodSync(file, 0o600);
  const streams: pino.StreamEntry[] = [{ stream: pino.destination({ dest: file, sync: false, mkdir: true, mode: 0o600 }) }];
  if (terminal) streams.push({ stream: terminalStream() });
  return pino(
    {
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      // A secret must never reach a log line, whatever a caller passes in.
      redact: { paths: ["api_key", "*.api_key", "token", "*.token", "credentials", "*.credentials", "phrase", "key"], censor: "***" },
    },
    pino.multistream(streams),
  );
}
