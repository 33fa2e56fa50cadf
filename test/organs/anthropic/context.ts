export { context, PNG, type RecordingContext } from "../../helpers/model-context.js";

/** The smallest JPEG header a sniffer recognises. */
export const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
