import type { Binding } from "../model/binding.js";
import { certificateTally, type CertificateSeen } from "./certificates-seen.js";
import { daysToExpiry, describeDays, formatDate, sentence, formatDuration, formatTime, shortHash, visibleControls } from "./format.js";
import { followUp, leftToOwners, type FollowUp } from "./follow-up.js";
import type { ReportBinding, ReportHost, VerifyResult } from "./schema.js";
import type { ReportView } from "./view.js";

/**
 * report.md: what an operator pastes into a change record. Every value that came from a host or
 * the inventory goes through `md()` (inline) or `codeBlock()`; only text certfleet itself
 * generates is written raw.
 */
export function renderMarkdown(report: ReportView): string {
  return [...markdownChunks(report)].join("");
}

/**
 * report.md a host at a time: the same text as joining every line and collapsing runs of blank
 * lines, so a big fleet's report never exists as one string.
 */
export function markdownChunks(report: ReportView): Generator<string> {
  return collapseBlankLines(markdownLineGroups(report));
}

/** The report's lines in groups (the head, a row or a section per host, the certificates). */
function* markdownLineGroups(report: ReportView): Generator<string[]> {
  const out: string[] = [];
  out.push(`# certfleet ${report.command} report${report.dryRun ? " (dry run)" : ""}`, "");
  out.push(
    `**Started** ${formatTime(report.startedAt)} · **Finished** ${formatTime(report.finishedAt)} · ` +
      `**Duration** ${formatDuration(Math.max(0, Date.parse(report.finishedAt) - Date.parse(report.startedAt)) || 0)}`,
    "",
  );

  out.push("## Summary", "");
  const s = report.summary;
  out.push(
    "| hosts | ok | changed | unchanged | failed | halted | needs attention |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    `| ${s.hosts} | ${s.ok} | ${s.changed} | ${s.unchanged} | ${s.failed} | ${s.halted} | ${s.needsAttention} |`,
    "",
  );

  if (report.target) {
    out.push("## Target certificate", "");
    const t = report.target;
    const subject = t.subject ? ` ${md(t.subject)}` : "";
    out.push(`- **New:** \`${t.newThumbprint}\`${subject}`);
    if (t.dnsNames && t.dnsNames.length > 0) out.push(`- **Names (SAN):** ${t.dnsNames.map(md).join(", ")}`);
    if (t.notAfter) {
      const days = daysToExpiry(t.notAfter, report.finishedAt);
      out.push(`- **Expires:** ${md(formatDate(t.notAfter))} (${describeDays(days)})${days !== null && days < 30 ? " ⚠" : ""}`);
    }
    if (t.describedBy) out.push(`- **Described by:** ${t.describedBy === "file" ? "the certificate file given" : "the hosts' certificate stores"}`);
    if (report.target.oldThumbprints.length === 0) out.push("- **Replaces:** none given");
    for (const old of report.target.oldThumbprints) out.push(`- **Replaces:** \`${old}\``);
    out.push("");
  }

  const follow = followUp(report.hosts);
  if (follow.attention.length > 0) {
    out.push("## Needs attention", "");
    out.push("certfleet could not restore these hosts; each section below says what to run by hand.", "");
    yield out.splice(0);
    for (const h of follow.attention) yield [`- [${md(h.name)}](#${anchor(h.name)}): ${md(h.message ?? "see below")}`];
    out.push("");
  }

  yield out.splice(0);
  yield* whatToDoNext(follow);

  out.push("## Hosts", "");
  out.push("| host | address | status | wave | duration | bindings | error |", "|---|---|---|---:|---:|---:|---|");
  yield out;
  for (const h of report.hosts) {
    const error = h.error ? `${h.error.kind}: ${md(h.error.message)}` : "";
    yield [
      `| [${md(h.name)}](#${anchor(h.name)}) | ${md(h.address)} | ${statusBadge(h.status)} | ${h.wave ?? ""} | ` +
        `${formatDuration(h.durationMs)} | ${h.bindings.length} | ${error} |`,
    ];
  }
  yield [""];

  const tally = certificateTally(report);
  for (const h of report.hosts) {
    tally.add(h);
    yield hostSection(h);
  }

  const certs = tally.seen();
  if (certs.length > 0) yield* certificateTable(certs, report.finishedAt);
}

/**
 * Lines joined by newlines, every run of three or more newlines made two and the end trimmed to
 * one newline, as `lines.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n"` would, but group
 * by group: the trailing whitespace of what was seen so far is held back until text follows it,
 * so no run of newlines is ever split between two chunks.
 */
export function* collapseBlankLines(groups: Iterable<string[]>): Generator<string> {
  let held = "";
  let first = true;
  for (const lines of groups) {
    if (lines.length === 0) continue;
    const text = `${held}${first ? "" : "\n"}${lines.join("\n")}`;
    first = false;
    const body = text.trimEnd();
    held = text.slice(body.length);
    if (body.length > 0) yield body.replace(/\n{3,}/g, "\n\n");
  }
  yield "\n";
}



function hostSection(h: ReportHost): string[] {
  const out: string[] = [];
  out.push(`<a id="${anchor(h.name)}"></a>`, "", `### ${md(h.name)} — ${statusBadge(h.status)}`, "");
  const facts = [`**Address** ${md(h.address)}`];
  if (h.transport !== undefined) facts.push(`**Transport** ${h.transport === "winrm" ? "WinRM" : "SSH"}`);
  if (h.wave !== undefined) facts.push(`**Wave** ${h.wave}`);
  facts.push(`**Duration** ${formatDuration(h.durationMs)}`);
  out.push(facts.join(" · "), "");

  if (h.error) {
    out.push(`**Error** (\`${h.error.kind}\`): ${md(h.error.message)}`, "");
    if (h.error.remote) out.push(codeBlock(h.error.remote, "text"), "");
  }
  if (h.remedy) {
    out.push(`**Likely cause:** ${md(h.remedy.cause)}`, "");
    if (h.remedy.fix) out.push(`**Fix:** ${md(h.remedy.fix)}`, "");
    for (const step of h.remedy.next) out.push(`**${md(sentence(step.when))}:**`, "", codeBlock(step.run, "sh"), "");
  }

  if (h.bindings.length > 0) {
    out.push(
      "| kind | endpoint | before → after | appid | store | action | reason | verify |",
      "|---|---|---|---|---|---|---|---|",
    );
    for (const b of h.bindings) {
      out.push(
        `| ${b.kind} | ${md(b.endpoint)} | ${hashChange(b)} | ${md(b.appId ?? "")} | ${md(storeOf(b))} | ` +
          `${b.action ?? ""} | ${md(b.reason ?? "")} | ${verifyCell(b.verify)} |`,
      );
    }
    out.push("");
    out.push(...fullHashes(h.bindings));
  } else if (h.status !== "halted" && !h.error) {
    out.push("No SSL bindings.", "");
  } else if (h.status === "halted") {
    out.push("Not attempted: the rollout stopped before this host (failure budget).", "");
  }

  const consumers = h.consumers ?? [];
  if (consumers.length > 0) {
    out.push("| consumer | owner | names | action | reason | verify |", "|---|---|---|---|---|---|");
    for (const c of consumers) {
      const names = c.action === "moved" || c.action === "restored" || c.before !== undefined ? `${c.before ? shortHash(c.before) : "none"} → ${c.after ? (/^S-1-/.test(c.after) ? c.after : shortHash(c.after)) : "none"}` : c.certHash ? shortHash(c.certHash) : "none";
      out.push(`| ${md(c.name)} | ${md(c.owner)} | ${md(names)} | ${c.action ?? ""} | ${md(c.reason ?? "")} | ${consumerVerifyCell(c.verify)} |`);
    }
    out.push("");
    const owners = leftToOwners(h).commands;
    if (owners.length > 0) {
      out.push("**Needs attention**: left to their owner; run on the host (every node of the farm):", "");
      out.push(codeBlock(owners.join("\n"), "powershell"), "");
    }
  }

  const manual = [...h.bindings.filter((b) => b.manualCommand !== undefined), ...consumers.filter((c) => c.action === "failed" && c.manualCommand)];
  if (manual.length > 0) {
    out.push("**Run by hand** (elevated, on the host) to put back what certfleet could not restore:", "");
    out.push(codeBlock(manual.map((b) => b.manualCommand ?? "").join("\n"), "bat"), "");
  }

  if (h.warnings && h.warnings.length > 0) {
    out.push("**Warnings**", "");
    for (const w of h.warnings) out.push(`- ${md(w)}`);
    out.push("");
  }

  if (h.commands && h.commands.length > 0) {
    out.push("**Commands**", "");
    out.push(codeBlock(h.commands.join("\n"), "bat"), "");
  }
  return out;
}

/**
 * Every failed or needs-attention host with its likely cause and fix, then the commands to run once
 * they are fixed (the same for every host of a run: they name all the failed hosts).
 */
function* whatToDoNext({ remedies, next }: FollowUp): Generator<string[]> {
  if (remedies.length === 0) return;
  yield ["## What to do next", "", "| host | status | likely cause | fix |", "|---|---|---|---|"];
  for (const h of remedies) {
    yield [`| [${md(h.name)}](#${anchor(h.name)}) | ${statusBadge(h.status)} | ${md(h.cause)} | ${md(h.fix ?? "")} |`];
  }
  const out = [""];
  for (const step of next) out.push(`${md(sentence(step.when))}:`, "", codeBlock(step.run, "sh"), "");
  yield out;
}

/** A row a certificate: the wildcard every host holds has the longest (its hosts by name). */
function* certificateTable(certs: CertificateSeen[], finishedAt: string): Generator<string[]> {
  const out: string[] = [];
  out.push("## Certificates seen", "");
  out.push(
    `Days to expiry are counted from the report's finish time (${formatTime(finishedAt)}). ` +
      "Bindings are listed as they are after the run: moved ones on the new certificate, put-back ones on the old.",
    "",
  );
  out.push(
    "| thumbprint | subject | not after | days to expiry | held by | without private key |",
    "|---|---|---|---:|---|---|",
  );
  yield out.splice(0);
  for (const c of certs) {
    const role = c.role ? ` (${c.role})` : "";
    const days = c.daysToExpiry === null ? "" : `${c.daysToExpiry}`;
    const subject = c.subject === null ? "*not in any store*" : md(c.subject);
    const expired = c.daysToExpiry !== null && c.daysToExpiry < 0 ? " ⚠ expired" : "";
    const noKey = c.withoutPrivateKey.map(md).join(", ");
    const unknownKey = c.privateKeyUnknown.length > 0 ? `not shown on ${c.privateKeyUnknown.map(md).join(", ")}` : "";
    yield [
      `| \`${c.thumbprint}\`${role} | ${subject} | ${c.notAfter ? md(formatDate(c.notAfter)) : ""} | ${days}${expired} | ` +
        `${c.heldBy.map(md).join(", ")} | ${[noKey, unknownKey].filter(Boolean).join("; ")} |`,
    ];
  }
  out.push("");
  const unbound = certs.filter((c) => c.usedBy.length > 0 || c.consumers.length > 0);
  if (unbound.length > 0) {
    out.push("<details>", "<summary>Bindings per certificate</summary>", "");
    yield out.splice(0);
    for (const c of unbound) {
      const uses = [...c.usedBy.map((u) => `${md(u.host)} ${u.kind} ${md(u.endpoint)}`), ...c.consumers.map((u) => `${md(u.host)} ${md(u.owner)} ${md(u.name)}`)].join("; ");
      yield [`- \`${shortHash(c.thumbprint)}\` (${describeDays(c.daysToExpiry)}): ${uses}`];
    }
    out.push("", "</details>", "");
  }
  yield out;
}

function hashChange(b: ReportBinding): string {
  const before = b.before?.certHash;
  const after = b.after?.certHash ?? (b.after ? null : b.certHash);
  const show = (h: string | null | undefined): string => (h ? `\`${shortHash(h)}\`` : "—");
  if (b.before === undefined) return show(b.certHash);
  if (before === after) return `${show(before)} (${b.action === "restored" ? "restored" : "unchanged"})`;
  return `${show(before)} → ${show(after)}`;
}

function fullHashes(bindings: ReportBinding[]): string[] {
  const lines = bindings
    .filter((b) => b.certHash !== null || b.before?.certHash)
    .map((b) => {
      const now = b.after?.certHash ?? b.certHash;
      const before = b.before?.certHash;
      const change = before && before !== now ? `\`${before}\` → \`${now ?? "none"}\`` : `\`${now ?? before ?? "none"}\``;
      return `- ${b.kind} ${md(b.endpoint)}: ${change}`;
    });
  if (lines.length === 0) return [];
  return ["<details>", "<summary>Full thumbprints</summary>", "", ...lines, "", "</details>", ""];
}

function verifyCell(v: VerifyResult | undefined): string {
  if (!v) return "";
  if (v.skipped) return `⏭ not checked${v.error ? `: ${md(v.error)}` : ""}`;
  const served = v.servedThumbprint ? `served \`${shortHash(v.servedThumbprint)}\`` : "nothing served";
  const sni = v.serverName ? ` (SNI ${md(v.serverName)})` : "";
  if (v.ok) return `✅ ${served}${sni}`;
  const expected = v.expectedThumbprint ? `, expected \`${shortHash(v.expectedThumbprint)}\`` : "";
  const error = v.error ? `: ${md(v.error)}` : "";
  return `❌ ${served}${expected}${sni}${error}`;
}

/** An owner's setting is proven by reading it back (nothing served); the RDP listener by its handshake. */
function consumerVerifyCell(v: VerifyResult | undefined): string {
  if (v && !v.skipped && v.servedThumbprint === undefined) return v.ok ? "✅ read back" : `❌ ${md(v.error ?? "mismatch")}`;
  return verifyCell(v);
}

function storeOf(b: Binding): string {
  return b.storeName ?? "(null) = MY";
}

function statusBadge(status: ReportHost["status"]): string {
  switch (status) {
    case "ok":
    case "changed":
    case "unchanged":
      return `✅ ${status}`;
    case "failed":
      return "❌ failed";
    case "halted":
      return "⏸ halted";
    case "needs-attention":
      return "⚠️ **needs attention**";
  }
}

/** A GitHub-style anchor that survives any host name. */
function anchor(name: string): string {
  return `host-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}`;
}

/**
 * Inline text from a host: control characters made visible, one line, Markdown specials
 * backslash-escaped, and `<`, `>`, `&` as entities so no HTML gets through.
 */
export function md(value: string): string {
  return visibleControls(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_[\]#|~]/g, (c) => `\\${c}`);
}

/** A fenced block longer than any backtick run inside, so remote text cannot close it early. */
export function codeBlock(text: string, lang: string): string {
  const body = visibleControls(text, true).replace(/\n+$/, "");
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${body}\n${fence}`;
}
