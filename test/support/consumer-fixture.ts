import type { SimHostSpec } from "../../src/simulator/state.js";

/** The well-known SID of NETWORK SERVICE, which reads IIS's and RDP's keys. */
export const NETWORK_SERVICE = "S-1-5-20";
/** An application pool's account, as a domain SID: granted by SID, never by a translated name. */
export const APP_ACCOUNT = "S-1-5-21-1004336348-1177238915-682003330-1013";
/** The appid http.sys shows for the WinRM HTTPS listener's binding. */
export const WINRM_APPID = "{afebb9ad-9b97-4a91-9ab5-daf4d59122f6}";

/** Every other consumer on `thumbprint`: RDP, WMSvc, a WinRM HTTPS listener, two key grants. */
export function consumersOn(thumbprint: string): NonNullable<SimHostSpec["consumers"]> {
  return {
    rdp: { thumbprint },
    wmsvc: { thumbprint },
    winrmListeners: [{ transport: "HTTPS", hostname: "web.example.com", certificateThumbprint: thumbprint }],
    keyGrants: [
      { thumbprint, sid: NETWORK_SERVICE },
      { thumbprint, sid: APP_ACCOUNT },
    ],
  };
}
