import t from "tap";
import { startDaemon } from "../helpers/daemon.js";
import { startFakeOllama } from "../fixtures/fake-ollama.js";

t.test("create, list, stop, 409, start, delete, 404", async (t) => {
  const ollama = await startFakeOllama({ models: ["llama3.2"] });
  t.teardown(() => ollama.close());
  const { api } = await startDaemon(t);
  const created = await api("POST", "/api/persona/create", { name: "Ada", organs: { thinking: { provider: "ollama", model: "llama3.2", url: ollama.url } } });
  t.equal(created.status, 201, JSON.stringify(created.body));
  t.equal(created.body.recovery_phrase.split(" ").length, 24);
  const id = created.body.persona.id;
  t.equal(created.body.persona.running, true);
  const list = await api("GET", "/api/personas");
  t.same(list.body.personas.map((p: { id: string }) => p.id), [id]);
  t.same((await api("POST", `/api/persona/${id}/stop`)).body, { status: "stopped" });
  const live = await api("POST", `/api/persona/${id}/sleep`);
  t.equal(live.status, 409);
  t.same(Object.keys(live.body), ["detail"]);
  t.same((await api("POST", `/api/persona/${id}/start`)).body, { status: "started" });
  t.same((await api("POST", `/api/persona/${id}/delete`)).body, { deleted: id });
  t.equal((await api("GET", `/api/persona/${id}`)).status, 404);
});
