export { context, type RecordingContext } from "../../helpers/model-context.js";
