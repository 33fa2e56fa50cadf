// Preloaded (node --expose-gc --import) into daemons whose RSS is measured: SIGUSR2 runs a
// full garbage collection so the reading is taken at a settled moment. Not used otherwise.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) process.on("SIGUSR2", () => gc());
