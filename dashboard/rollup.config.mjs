// The dashboard: Lit components bundled into dashboard/dist, which the daemon serves at /.
// File names carry a hash of their content, so the daemon can let browsers keep them for a
// year; index.html (never cached) is written last and names them.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { nodeResolve } from "@rollup/plugin-node-resolve";
import terser from "@rollup/plugin-terser";
import typescript from "@rollup/plugin-typescript";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, "dist");

/** Empties dist/ first (old hashed files would pile up), and writes index.html naming the entry. */
function page() {
  return {
    name: "eternego-page",
    buildStart() {
      fs.rmSync(out, { recursive: true, force: true });
    },
    generateBundle(_options, bundle) {
      const entry = Object.values(bundle).find((f) => f.type === "chunk" && f.isEntry);
      const html = fs.readFileSync(path.join(here, "index.html"), "utf8").replace("%ENTRY%", `/${entry.fileName}`);
      this.emitFile({ type: "asset", fileName: "index.html", source: html });
      for (const file of ["icon.svg", "theme.js"]) this.emitFile({ type: "asset", fileName: file, source: fs.readFileSync(path.join(here, file)) });
    },
  };
}

export default {
  input: path.join(here, "src", "main.ts"),
  output: { dir: out, format: "es", entryFileNames: "app-[hash].js", chunkFileNames: "[name]-[hash].js", sourcemap: true },
  plugins: [nodeResolve({ browser: true }), typescript({ tsconfig: path.join(here, "tsconfig.json"), noEmit: false, outDir: out, rootDir: path.join(here, ".."), sourceMap: true, include: ["dashboard/src/**/*.ts"] }), terser({ format: { comments: false } }), page()],
  onwarn(warning, warn) {
    // socket.io-client's bundled debug module references `this` at the top level; harmless in ESM.
    if (warning.code === "THIS_IS_UNDEFINED") return;
    warn(warning);
  },
};
