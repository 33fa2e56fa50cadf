import { Unsupported } from "../../api/errors.js";
import { extensionOf } from "../../plugin-registry.js";
import type { RouteContext } from "../route.js";

/** An upload `accept` that takes only the given extensions, up to `maxBytes`; anything else is a 415 before the body is read. */
export function onlyExtensions(extensions: string[], what: string, maxBytes: number) {
  return (_ctx: RouteContext, _field: string, name: string) => {
    const ext = extensionOf(name);
    if (typeof ext !== "string") throw new Unsupported(`'${name}' ${ext.why}; send ${what} (${extensions.join(" or ")}).`);
    if (!extensions.includes(ext)) throw new Unsupported(`'${ext}' is not ${what}; send ${extensions.join(" or ")}.`);
    return { maxBytes };
  };
}
