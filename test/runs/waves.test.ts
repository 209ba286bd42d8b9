import { describe, expect, it } from "vitest";
import { InputError } from "../../src/model/errors.js";
import { assembleWaves, failureBudget, parseCountOrPercent } from "../../src/runs/waves.js";

const hosts = Array.from({ length: 10 }, (_, i) => `h${i + 1}`);

describe("assembleWaves", () => {
  it("defaults: one canary host, then all the rest in one wave", () => {
    expect(assembleWaves(hosts).waves).toEqual([["h1"], hosts.slice(1)]);
  });

  it("--canary N takes the first N hosts in inventory order", () => {
    expect(assembleWaves(hosts, "3").waves).toEqual([["h1", "h2", "h3"], hosts.slice(3)]);
  });

  it("--canary NAMES takes those hosts (inventory order), the rest follow", () => {
    const { waves } = assembleWaves(hosts, "h7, h2");
    expect(waves[0]).toEqual(["h2", "h7"]);
    expect(waves[1]).toEqual(hosts.filter((h) => h !== "h2" && h !== "h7"));
  });

  it("an unknown canary name is an input error naming it", () => {
    expect(() => assembleWaves(hosts, "h2,web99")).toThrow(InputError);
    expect(() => assembleWaves(hosts, "h2,web99")).toThrow(/"?web99"? is not among the selected hosts/);
  });

  it("--batch N cuts the rest into waves of N", () => {
    expect(assembleWaves(hosts, "1", "4").waves).toEqual([["h1"], ["h2", "h3", "h4", "h5"], ["h6", "h7", "h8", "h9"], ["h10"]]);
  });

  it("--batch P% is a share of all hosts, at least one", () => {
    expect(assembleWaves(hosts, "1", "30%").waves.map((w) => w.length)).toEqual([1, 3, 3, 3]);
    expect(assembleWaves(hosts, "1", "1%").waves.map((w) => w.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it("every host is in exactly one wave", () => {
    for (const [c, b] of [["0", "3"], ["2", "25%"], ["h5,h9", undefined], ["10", "1"]] as const) {
      const all = assembleWaves(hosts, c, b).waves.flat();
      expect(all.sort()).toEqual([...hosts].sort());
    }
  });

  it("--canary 0 leaves an empty canary wave; canary covering everyone leaves no other wave", () => {
    expect(assembleWaves(hosts, "0").waves).toEqual([[], hosts]);
    expect(assembleWaves(hosts, "10").waves).toEqual([hosts]);
    expect(assembleWaves([], "1").waves).toEqual([[]]);
  });

  it("bad batch specs are input errors", () => {
    expect(() => assembleWaves(hosts, "1", "0")).toThrow(InputError);
    expect(() => assembleWaves(hosts, "1", "abc")).toThrow(/--batch/);
    expect(() => assembleWaves(hosts, "1", "150%")).toThrow(/cannot exceed 100%/);
  });
});

describe("failureBudget", () => {
  it("defaults to 0", () => {
    expect(failureBudget(undefined, 30)).toBe(0);
  });
  it("takes a count or a percentage of all hosts (rounded down)", () => {
    expect(failureBudget("2", 30)).toBe(2);
    expect(failureBudget("10%", 30)).toBe(3);
    expect(failureBudget("5%", 30)).toBe(1);
    expect(failureBudget("3%", 30)).toBe(0);
    expect(failureBudget(" 100% ", 30)).toBe(30);
  });
  it("rejects anything else as input error naming the option", () => {
    for (const bad of ["-1", "1.5", "ten", "10 %%", ""]) {
      expect(() => failureBudget(bad, 30)).toThrow(InputError);
    }
    expect(() => parseCountOrPercent("x", 3, "--max-failures")).toThrow(/--max-failures/);
  });
});
