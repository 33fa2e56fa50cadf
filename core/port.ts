import type http from "node:http";

/** How many ports after the preferred one are tried before giving up. */
export const PORT_TRIES = 20;

function listenOnce(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off("listening", onListening);
      reject(err);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

/**
 * Listens on the preferred port, else on the next free one (up to PORT_TRIES). Port 0 asks
 * the OS for any free port. Returns the port actually bound.
 */
export async function listenWithFallback(server: http.Server, preferred: number, host: string): Promise<number> {
  const last = preferred === 0 ? 0 : Math.min(preferred + PORT_TRIES - 1, 65535);
  for (let port = preferred; port <= last; port++) {
    try {
      await listenOnce(server, port, host);
      return (server.address() as { port: number }).port;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || port === last) {
        if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
          throw new Error(`Ports ${preferred}–${last} are all in use; choose another with --port N (or WEB_PORT).`);
        }
        throw err;
      }
    }
  }
  throw new Error("unreachable");
}
