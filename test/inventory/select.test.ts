import { describe, expect, it } from "vitest";
import { parseInventory } from "../../src/inventory/load.js";
import { selectHosts, selectJournalHosts } from "../../src/inventory/select.js";
import { InputError } from "../../src/model/errors.js";

const inv = parseInventory(
  `
defaults: {user: u}
hosts:
  web01: {address: 10.0.0.11, groups: [canary]}
  web02: {address: 10.0.0.12}
  web10: {address: 10.0.0.20}
  db01: {address: 10.0.1.1}
  db02: {address: 10.0.1.2}
  mail: {address: 10.0.2.1}
groups:
  web: [web10, web02, web01]
  databases: [db01, db02]
  empty: []
`,
  "inventory/hosts.yaml",
);

const names = (limit?: string) => selectHosts(inv, limit).map((h) => h.name);

describe("selectHosts", () => {
  it("no limit selects every host", () => {
    expect(names()).toEqual(["web01", "web02", "web10", "db01", "db02", "mail"]);
    expect(names("  ")).toEqual(names());
  });

  it("host names, in inventory order regardless of the order given", () => {
    expect(names("mail,web01")).toEqual(["web01", "mail"]);
    expect(names("db01, db01")).toEqual(["db01"]);
  });

  it("group names (top-level and per-host groups)", () => {
    expect(names("web")).toEqual(["web01", "web02", "web10"]);
    expect(names("canary,databases")).toEqual(["web01", "db01", "db02"]);
  });

  it("globs over host and group names", () => {
    expect(names("web0?")).toEqual(["web01", "web02"]);
    expect(names("db*")).toEqual(["db01", "db02"]);
    expect(names("data*")).toEqual(["db01", "db02"]);
    expect(names("*1*")).toEqual(["web01", "web10", "db01"]);
  });

  it("exclusions apply after inclusions", () => {
    expect(names("!web01,web")).toEqual(["web02", "web10"]);
    expect(names("web,!canary")).toEqual(["web02", "web10"]);
    expect(names("*,!db*")).toEqual(["web01", "web02", "web10", "mail"]);
  });

  it("only exclusions means all except", () => {
    expect(names("!databases,!mail")).toEqual(["web01", "web02", "web10"]);
  });

  it("an unknown literal name is an input error naming it", () => {
    expect(() => names("web01,web03")).toThrow(InputError);
    expect(() => names("web01,web03")).toThrow('-l web01,web03: unknown host or group "web03" (not in inventory/hosts.yaml)');
    expect(() => names("!nosuch")).toThrow('unknown host or group "nosuch"');
  });

  it("a selection that leaves no host is an input error", () => {
    expect(() => names("zz*")).toThrow("-l zz*: selects no hosts from inventory/hosts.yaml");
    expect(() => names("empty")).toThrow("selects no hosts");
    expect(() => names("web,!web")).toThrow("selects no hosts");
  });

  it("glob metacharacters other than * and ? are literal", () => {
    expect(() => names("web.1")).toThrow("unknown host or group");
  });
});

describe("selectJournalHosts (rollback -l)", () => {
  it("lists selected and skipped hosts in inventory order, whatever order they finished in the journal; hosts gone from the inventory last", () => {
    const journal = ["db01", "gone01", "web10", "web01", "mail"];
    expect(selectJournalHosts(inv, journal, "web")).toEqual({ selected: ["web01", "web10"], skipped: ["db01", "mail", "gone01"] });
    expect(selectJournalHosts(inv, journal)).toEqual({ selected: ["web01", "web10", "db01", "mail", "gone01"], skipped: [] });
    expect(selectJournalHosts(inv, journal, "gone01").selected).toEqual(["gone01"]);
  });
});
