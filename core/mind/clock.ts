/** `YYYY-MM-DD` of a time in the machine's own time zone: her days follow the person's clock. */
export function localDate(d: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** `HH:MM` of a time in the machine's own time zone. */
export function localTime(d: Date = new Date()): string {
  return d.toTimeString().slice(0, 5);
}
