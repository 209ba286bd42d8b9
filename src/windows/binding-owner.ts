/**
 * Who owns an http.sys SSL binding, from what netsh shows (appid, port, CTL store). The owner
 * decides how a binding may move: IIS bindings (and bindings nobody claims) are certfleet's to
 * rebind; WinRM HTTPS and WMSvc bindings move together with their owner's own setting; ADFS, the
 * Web Application Proxy, SSTP and Exchange re-apply their own configuration, so rebinding them
 * with netsh behind the owner's back is undone later: they are owner-managed.
 */
import type { Binding } from "../model/binding.js";

export const APP_IDS = {
  iis: "{4dc3e181-e14b-4a21-b022-59fc669b0914}",
  winrm: "{afebb9ad-9b97-4a91-9ab5-daf4d59122f6}",
  adfs: "{5d89a20c-beab-4389-9447-324788eb944a}",
  wap: "{f955c070-e044-456c-ac00-e9e4275b3f04}",
  sstp: "{ba195980-cd49-458b-9e23-c84ee0adcd75}",
} as const;

export const WINRM_HTTPS_PORT = 5986;
export const WMSVC_PORT = 8172;
/** Exchange's back-end web site listens on 444 (an IIS binding that Exchange manages). */
export const EXCHANGE_BACKEND_PORT = 444;

export type BindingOwner = "iis" | "none" | "winrm-https" | "wmsvc" | "adfs" | "wap" | "sstp" | "exchange";

export interface OwnerClassification {
  owner: BindingOwner;
  /** what the consumer step must do: rebind with netsh, move with the owner's setting, or leave to the owner */
  handling: "netsh" | "with-owner-setting" | "owner-managed";
  /** the facts that decided it, for the plan and the report */
  evidence: string[];
}

function portOf(b: Pick<Binding, "kind" | "endpoint">): number | null {
  if (b.kind === "ccs") return /^\d+$/.test(b.endpoint) ? Number(b.endpoint) : null;
  const m = /:(\d{1,5})$/.exec(b.endpoint);
  return m ? Number(m[1]) : null;
}

export function classifyBinding(b: Pick<Binding, "kind" | "endpoint" | "appId" | "settings">): OwnerClassification {
  const port = portOf(b);
  const appId = b.appId?.toLowerCase() ?? null;
  const ctlStore = (b.settings["sslctlstorename"] ?? "").trim();
  const ev = (s: string) => s;
  if (appId === APP_IDS.adfs || /^AdfsTrustedDevices$/i.test(ctlStore)) {
    return {
      owner: "adfs",
      handling: "owner-managed",
      evidence: [appId === APP_IDS.adfs ? ev(`appid ${appId} (AD FS)`) : ev(`appid ${appId ?? "(none)"}`), ...(ctlStore ? [`CTL store ${ctlStore}`] : [])],
    };
  }
  if (appId === APP_IDS.wap) return { owner: "wap", handling: "owner-managed", evidence: [`appid ${appId} (Web Application Proxy)`] };
  if (appId === APP_IDS.sstp) return { owner: "sstp", handling: "owner-managed", evidence: [`appid ${appId} (SSTP VPN, Routing and Remote Access)`] };
  if (appId === APP_IDS.winrm) {
    return { owner: "winrm-https", handling: "with-owner-setting", evidence: [`appid ${appId} (WinRM)`, ...(port !== null ? [`port ${port}`] : [])] };
  }
  if (port === WMSVC_PORT) {
    return { owner: "wmsvc", handling: "with-owner-setting", evidence: [`port ${WMSVC_PORT} (Web Management Service)`, `appid ${appId ?? "(none)"}`] };
  }
  if (appId === APP_IDS.iis && port === EXCHANGE_BACKEND_PORT) {
    return { owner: "exchange", handling: "owner-managed", evidence: [`appid ${appId} (IIS)`, `port ${EXCHANGE_BACKEND_PORT} (Exchange back end)`] };
  }
  if (port === WINRM_HTTPS_PORT && b.kind === "ipport") {
    // A 5986 binding with another appid: WinRM re-creates its own on restart, so it is WinRM's.
    return { owner: "winrm-https", handling: "with-owner-setting", evidence: [`port ${WINRM_HTTPS_PORT} (WinRM HTTPS)`, `appid ${appId ?? "(none)"}`] };
  }
  if (appId === APP_IDS.iis) return { owner: "iis", handling: "netsh", evidence: [`appid ${appId} (IIS)`] };
  return { owner: "none", handling: "netsh", evidence: [`appid ${appId ?? "(none)"}: no known owner`] };
}
