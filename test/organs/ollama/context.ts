import { closedBase } from "../../fixtures/fake-http.js";

export { context, PNG, type RecordingContext } from "../../helpers/model-context.js";

/** A loopback URL nothing listens on (a port that was free a moment ago): connections are refused. */
export const closedUrl = closedBase;
