/**
 * Ollama's model names: `llama3.2` means `llama3.2:latest`, and names compare without
 * regard to case. The tag is what follows `:` in the last path segment, so a registry
 * host with a port (`localhost:5000/me/model`) is not mistaken for one.
 */
export function fullName(model: string): string {
  const last = model.slice(model.lastIndexOf("/") + 1);
  return (last.includes(":") ? model : `${model}:latest`).toLowerCase();
}

/** Whether `model` is among the names `/api/tags` listed. */
export function listed(model: string, names: string[]): boolean {
  const want = fullName(model);
  return names.some((n) => fullName(n) === want);
}
