import path from "node:path";
import { Unsupported } from "../../api/errors.js";
import type { RouteContext } from "../route.js";

/** An upload `accept` that takes only the given extensions, up to `maxBytes`; anything else is a 415 before the body is read. */
export function onlyExtensions(extensions: string[], what: string, maxBytes: number) {
  return (_ctx: RouteContext, _field: string, name: string) => {
    const ext = path.extname(name).toLowerCase();
    if (!extensions.includes(ext)) throw new Unsupported(`'${ext || name}' is not ${what}; send ${extensions.join(" or ")}.`);
    return { maxBytes };
  };
}
