import t from "tap";
import { loadPlugins } from "../../core/plugin-host.js";
import { extensionOf } from "../../core/plugin-registry.js";
import { tempHome } from "../helpers/daemon.js";

// The 415 rule's words: never contradictory, always with the fix.

t.test("what an extension is, and why a name has none", async (t) => {
  t.equal(extensionOf("notes.TXT"), ".txt");
  t.equal(extensionOf("archive.tar.gz"), ".gz");
  t.match(extensionOf(".txt"), { why: /no extension.*hidden file/ }, "a name that is all dot-name is a hidden file's, not a .txt");
  t.match(extensionOf("x.txt."), { why: /ends with a dot/ });
  t.match(extensionOf("README"), { why: /has no extension/ });
  t.equal(extensionOf("dir/a.png"), ".png", "only the last segment counts");
});

t.test("the 415 details say what is wrong and what to do, naming her and never a placeholder", async (t) => {
  const plugins = await loadPlugins(tempHome(), []);
  const refuse = (name: string, organs?: Set<any>, id?: string) => {
    try {
      plugins.capabilityFor(name, organs, id);
    } catch (err) {
      return (err as { status: number; message: string });
    }
    throw new Error(`${name} was taken`);
  };
  for (const name of [".txt", "x.txt.", "README"]) {
    const e = refuse(name);
    t.equal(e.status, 415);
    t.notMatch(e.message, /No perception plugin takes/, `${name}: not "no plugin takes" a kind that is listed as accepted`);
    t.match(e.message, new RegExp(`'${name.replace(".", "\\.")}' .*extension.*\\.txt`), `${name}: why, and the extensions to choose from`);
  }
  const exe = refuse("setup.exe");
  t.match(exe.message, /No perception plugin takes '\.exe' files; accepted extensions are .*\.png/);
  const id = "1a2b3c4d-0000-4000-8000-00000000000a";
  const png = refuse("photo.png", new Set(["thinking"]), id);
  t.match(png.message, `POST /api/persona/${id}/update {"organs": {"vision": {...}}}`, "the fix names her own route");
  t.notMatch(png.message, /\{id\}/, "no literal {id}");
});
