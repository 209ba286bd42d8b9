import type { CertificateSeen } from "./certificates-seen.js";
import { escapeMarkup as esc } from "./escape.js";
import { describeDays, expiryLevel, formatDate, shortHash, type ExpiryLevel } from "./format.js";

/**
 * The expiry timeline of report.html as inline SVG: one row per certificate, a bar from notBefore
 * (or the left edge) to notAfter, a marker at notAfter, and a dashed line at the report's
 * finishedAt. Pure string building; the time axis is derived from the report only, never the
 * wall clock, so the picture is reproducible.
 */

const DAY = 86_400_000;
const WIDTH = 1000;
const LABEL_X = 8;
const PLOT_X0 = 330;
const PLOT_X1 = 815;
const DAYS_X = 832;
const ROW_H = 38;
const TOP = 30;
const AXIS_H = 30;

const COLOUR: Record<ExpiryLevel, string> = {
  expired: "#cf222e",
  critical: "#e16f24",
  warning: "#d4a72c",
  fine: "#2da44e",
  unknown: "#8c959f",
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function expiryTimelineSvg(certs: CertificateSeen[], finishedAt: string): string {
  const now = Date.parse(finishedAt);
  const ends = certs.map((c) => (c.notAfter ? Date.parse(c.notAfter) : Number.NaN)).filter((t) => !Number.isNaN(t));
  const anchor = Number.isNaN(now) ? (ends[0] ?? 0) : now;
  const lo = Math.min(anchor - 30 * DAY, ...ends.map((t) => t - 30 * DAY));
  const hi = Math.max(anchor + 60 * DAY, ...ends.map((t) => t + 30 * DAY));
  const x = (t: number): number => PLOT_X0 + ((t - lo) / (hi - lo)) * (PLOT_X1 - PLOT_X0);
  const height = TOP + certs.length * ROW_H + AXIS_H;
  const plotBottom = TOP + certs.length * ROW_H;

  const out: string[] = [];
  out.push(
    `<svg viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="certificate expiry timeline" font-family="system-ui,-apple-system,Segoe UI,Roboto,Arial,sans-serif" font-size="12">`,
  );

  certs.forEach((_, i) => {
    if (i % 2 === 0) out.push(`<rect x="0" y="${TOP + i * ROW_H}" width="${WIDTH}" height="${ROW_H}" fill="#f6f8fa"/>`);
  });

  for (const tick of monthTicks(lo, hi)) {
    const tx = x(tick.t).toFixed(1);
    out.push(`<line x1="${tx}" y1="${TOP}" x2="${tx}" y2="${plotBottom}" stroke="#d0d7de" stroke-width="1"/>`);
    out.push(`<text x="${tx}" y="${plotBottom + 18}" text-anchor="middle" fill="#656d76">${esc(tick.label)}</text>`);
  }
  out.push(`<line x1="${PLOT_X0}" y1="${plotBottom}" x2="${PLOT_X1}" y2="${plotBottom}" stroke="#8c959f"/>`);

  certs.forEach((c, i) => {
    const y = TOP + i * ROW_H + ROW_H / 2;
    const level = expiryLevel(c.daysToExpiry);
    const colour = COLOUR[level];
    const role = c.role ? ` (${c.role})` : "";
    const subject = truncate(c.subject ?? "not in any store", 46);
    out.push(
      `<text x="${LABEL_X}" y="${y - 3}" fill="#1f2328"><title>${esc(c.subject ?? "not in any store")} ${esc(c.thumbprint)}</title>${esc(subject)}</text>`,
      `<text x="${LABEL_X}" y="${y + 12}" fill="#656d76" font-family="ui-monospace,Menlo,Consolas,monospace" font-size="10.5">${esc(shortHash(c.thumbprint))}${esc(role)}</text>`,
    );
    const end = c.notAfter ? Date.parse(c.notAfter) : Number.NaN;
    if (Number.isNaN(end)) {
      out.push(`<text x="${PLOT_X0 + 6}" y="${y + 4}" fill="#656d76" font-style="italic">expiry unknown</text>`);
    } else {
      const startRaw = c.notBefore ? Date.parse(c.notBefore) : Number.NaN;
      const start = Number.isNaN(startRaw) ? lo : Math.max(lo, startRaw);
      const x0 = x(start);
      const x1 = x(end);
      const opacity = Number.isNaN(startRaw) ? "0.35" : "0.55";
      out.push(
        `<rect x="${x0.toFixed(1)}" y="${y - 5}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="10" rx="5" fill="${colour}" fill-opacity="${opacity}"/>`,
      );
      out.push(
        `<circle cx="${x1.toFixed(1)}" cy="${y}" r="6" fill="${colour}" stroke="#fff" stroke-width="2"><title>notAfter ${esc(formatDate(c.notAfter ?? ""))}</title></circle>`,
      );
    }
    out.push(`<text x="${DAYS_X}" y="${y + 4}" fill="${colour}" font-weight="600">${esc(describeDays(c.daysToExpiry))}</text>`);
  });

  if (!Number.isNaN(now)) {
    const nx = x(now).toFixed(1);
    out.push(`<line x1="${nx}" y1="${TOP - 8}" x2="${nx}" y2="${plotBottom}" stroke="#1f2328" stroke-width="1.5" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${nx}" y="${TOP - 12}" text-anchor="middle" fill="#1f2328" font-weight="600">report ${esc(formatDate(finishedAt))}</text>`);
  }
  out.push("</svg>");
  return out.join("");
}

/** First-of-month ticks in UTC, thinned to at most about seven labels (each is ~60 px wide). */
function monthTicks(lo: number, hi: number): Array<{ t: number; label: string }> {
  const months = (hi - lo) / (30.44 * DAY);
  const step = [1, 2, 3, 6, 12, 24, 60, 120].find((s) => months / s <= 6) ?? 120;
  const ticks: Array<{ t: number; label: string }> = [];
  const d = new Date(lo);
  let year = d.getUTCFullYear();
  let month = d.getUTCMonth() + 1;
  for (let guard = 0; guard < 2000; guard++) {
    if (month > 11) {
      year += Math.floor(month / 12);
      month %= 12;
    }
    const t = Date.UTC(year, month, 1);
    if (t > hi) break;
    if (t >= lo && month % Math.min(step, 12) === 0 && (step <= 12 || year % (step / 12) === 0)) {
      const label = step >= 12 ? `${year}` : `${MONTHS[month] ?? ""} ${year}`;
      ticks.push({ t, label });
    }
    month += 1;
  }
  return ticks;
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}
