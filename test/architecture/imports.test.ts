/**
 * The rooms' rules, read from the import statements of the source files themselves:
 * - the engine never imports the report contract (src/report is written from outcomes at the edge);
 * - src/windows (what certfleet parses and builds) and src/simulator (what the fake Windows
 *   prints) never import each other, so the simulator cannot agree with a parser by sharing it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Every module a file imports (static, type-only, re-exports and dynamic), as src-relative paths. */
export function importsOf(file: string, text = readFileSync(file, "utf8")): string[] {
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s+["']([^"']+)["']/g)].map(
    (m) => m[1] ?? m[2] ?? m[3]!,
  );
  return specs.filter((s) => s.startsWith(".")).map((s) => relative(SRC, resolve(dirname(file), s)).replace(/\\/g, "/"));
}

const folderOf = (srcRelative: string) => srcRelative.split("/")[0]!;

/** The folders of the engine: everything but the CLI, the report writers and the simulator. */
const CORE = ["runs", "host", "journal", "plan", "verify", "session", "certificate", "wiring", "transport", "windows", "inventory", "model", "lib"];

const files = sourceFiles(SRC).map((f) => ({ file: relative(SRC, f).replace(/\\/g, "/"), imports: importsOf(f) }));

describe("import rules between the rooms", () => {
  it("reads imports of every kind (a check of the reader itself)", () => {
    const text = 'import { a } from "../report/schema.js";\nimport type { B } from "../report/x.js";\nexport { c } from "../report/y.js";\nconst d = await import("../report/z.js");\nimport "../report/side.js";\nimport z from "zod";\n';
    expect(importsOf(join(SRC, "host/example.ts"), text).sort()).toEqual(["report/schema.js", "report/side.js", "report/x.js", "report/y.js", "report/z.js"]);
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((f) => f.imports.includes("report/schema.js"))).toBe(true);
  });

  it("no module under the core folders imports from src/report", () => {
    const offenders = files.filter((f) => CORE.includes(folderOf(f.file))).flatMap((f) => f.imports.filter((i) => folderOf(i) === "report").map((i) => `${f.file} -> ${i}`));
    expect(offenders).toEqual([]);
  });

  it("src/windows and src/simulator never import each other", () => {
    const across = files.flatMap((f) => {
      const from = folderOf(f.file);
      const other = from === "windows" ? "simulator" : from === "simulator" ? "windows" : undefined;
      return other ? f.imports.filter((i) => folderOf(i) === other).map((i) => `${f.file} -> ${i}`) : [];
    });
    expect(across).toEqual([]);
  });

  it("every core folder named here exists (the rule cannot pass by a rename)", () => {
    const folders = new Set(files.map((f) => folderOf(f.file)));
    for (const c of CORE) expect(folders.has(c), c).toBe(true);
  });
});
