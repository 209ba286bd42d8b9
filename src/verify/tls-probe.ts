/**
 * One TLS handshake from the orchestrator: which leaf certificate does this endpoint serve right
 * now? The edge of src/verify; everything after it is pure comparison.
 */
import { createHash, X509Certificate } from "node:crypto";
import { connect, createSecureContext, type DetailedPeerCertificate, type SecureContext } from "node:tls";
import { isIP } from "node:net";
import { sanDnsNames } from "../certificate/names.js";

export interface ServedCertificate {
  thumbprint: string;
  notAfter: string;
  dnsNames: string[];
  subject: string;
  /** the chain sent reaches a self-signed root or at least names each issuer it sends. */
  chainComplete: boolean;
}

export interface ProbeTarget {
  host: string;
  port: number;
  /** SNI; omitted for IP literals, as browsers do. */
  serverName?: string;
  timeoutMs: number;
}

/**
 * One client context for every probe of the run: without it each handshake builds its own
 * OpenSSL context, whose native memory the garbage collector does not see, so a fleet's thousands
 * of handshakes grew the process by tens of megabytes before any was freed.
 */
let sharedContext: SecureContext | undefined;

export function probeTls(target: ProbeTarget): Promise<ServedCertificate> {
  return new Promise((resolve, reject) => {
    sharedContext ??= createSecureContext({});
    const socket = connect({
      secureContext: sharedContext,
      host: target.host,
      port: target.port,
      ...(target.serverName && isIP(target.serverName) === 0 ? { servername: target.serverName } : {}),
      // We are reading what is served, not trusting it: the comparison is on the thumbprint.
      rejectUnauthorized: false,
      timeout: target.timeoutMs,
    });
    const finish = (err: Error | null, value?: ServedCertificate) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    socket.once("secureConnect", () => {
      try {
        const peer = socket.getPeerCertificate(true);
        if (!peer || !peer.raw) return finish(new Error("the server sent no certificate"));
        finish(null, describePeer(peer));
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.once("timeout", () => finish(new Error(`TLS handshake timed out after ${target.timeoutMs} ms`)));
    socket.once("error", (err) => finish(err));
  });
}

/** What a handshake's peer certificate says, for every probe (TLS endpoints, the RDP listener). */
export function describePeer(peer: DetailedPeerCertificate): ServedCertificate {
  const x509 = new X509Certificate(peer.raw);
  const dnsNames = sanDnsNames(x509);
  let chainComplete = false;
  let cur: DetailedPeerCertificate | undefined = peer;
  for (let depth = 0; cur && depth < 10; depth++) {
    const issuer: DetailedPeerCertificate | undefined = cur.issuerCertificate;
    if (!issuer || issuer.raw === undefined) break;
    if (issuer === cur || issuer.fingerprint256 === cur.fingerprint256) {
      chainComplete = true;
      break;
    }
    cur = issuer;
  }
  return {
    thumbprint: createHash("sha1").update(peer.raw).digest("hex"),
    notAfter: new Date(x509.validTo).toISOString(),
    dnsNames,
    subject: x509.subject.replace(/\n/g, ", "),
    chainComplete,
  };
}
