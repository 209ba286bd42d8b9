/** Wraps prose for an 80-column terminal, continuation lines under the first line's text. */
export function wrapLines(first: string, text: string, width = 80): string[] {
  const indent = " ".repeat(first.length);
  const out: string[] = [];
  let line = first;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line.length === first.length || line === indent ? `${line}${word}` : `${line} ${word}`;
    if (candidate.length > width && line.trim() !== "" && line !== first && line !== indent) {
      out.push(line);
      line = `${indent}${word}`;
    } else line = candidate;
  }
  out.push(line);
  return out;
}
