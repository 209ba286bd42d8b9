/**
 * Splits the one-round-trip discover output (docs/remote-commands.md) at its `==CF:<name>==`
 * marker lines into `name -> text` (lines joined with LF, without the marker line). cmd.exe's
 * `echo ==CF:x== & ...` leaves a trailing space on the marker and a command whose output lacks a
 * final newline can leave text before it on the same line, so a marker is found anywhere in a
 * line and the text before it stays with the previous section. Text before the first marker
 * (a login banner, say) is kept under the empty name when it is not blank; the `end` marker
 * yields an empty `end` section, which tells the caller the output is complete. A repeated
 * name keeps the last section.
 */
export function splitMarkedSections(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  const marker = /==CF:([A-Za-z0-9_.-]+)==/;
  let name = "";
  let body: string[] = [];
  const flush = (): void => {
    if (name !== "" || body.some((l) => l.trim() !== "")) sections.set(name, body.join("\n"));
  };
  for (const line of text.replace(/\r*\n|\r/g, "\n").split("\n")) {
    const m = marker.exec(line);
    if (!m) {
      body.push(line);
      continue;
    }
    const before = line.slice(0, m.index);
    if (before.trim() !== "") body.push(before);
    flush();
    name = m[1] ?? "";
    body = [];
    const after = line.slice(m.index + m[0].length);
    if (after.trim() !== "") body.push(after.trim());
  }
  flush();
  return sections;
}
