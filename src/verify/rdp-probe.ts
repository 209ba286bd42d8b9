/**
 * The RDP listener's certificate: RDP does not start with TLS. The client first sends an X.224
 * Connection Request (in a TPKT frame) carrying an RDP Negotiation Request; the server answers
 * with a Connection Confirm holding a Negotiation Response (the protocol it chose) or a
 * Negotiation Failure; only then does TLS start, on the same socket. [MS-RDPBCGR] 2.2.1.1,
 * 2.2.1.2. We ask for PROTOCOL_SSL alone: plain TLS, no CredSSP, so no credentials are involved
 * and the handshake shows the certificate the listener serves.
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { describePeer, type ServedCertificate } from "./tls-probe.js";

export interface RdpProbeTarget {
  host: string;
  port: number;
  timeoutMs: number;
}

export const PROTOCOL_SSL = 0x00000001;
const TYPE_RDP_NEG_REQ = 0x01;
const TYPE_RDP_NEG_RSP = 0x02;
const TYPE_RDP_NEG_FAILURE = 0x03;
const X224_CONNECTION_REQUEST = 0xe0;
const X224_CONNECTION_CONFIRM = 0xd0;

/** [MS-RDPBCGR] 2.2.1.2.2 failure codes, for the operator. */
const FAILURE_CODES: Record<number, string> = {
  1: "SSL_REQUIRED_BY_SERVER",
  2: "SSL_NOT_ALLOWED_BY_SERVER",
  3: "SSL_CERT_NOT_ON_SERVER",
  4: "INCONSISTENT_FLAGS",
  5: "HYBRID_REQUIRED_BY_SERVER",
  6: "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER",
};

/** TPKT + X.224 CR + RDP_NEG_REQ(requestedProtocols = PROTOCOL_SSL); no cookie, no routing token. */
export function connectionRequest(requestedProtocols = PROTOCOL_SSL): Buffer {
  const neg = Buffer.alloc(8);
  neg.writeUInt8(TYPE_RDP_NEG_REQ, 0);
  neg.writeUInt8(0, 1); // flags
  neg.writeUInt16LE(8, 2);
  neg.writeUInt32LE(requestedProtocols, 4);
  const x224 = Buffer.from([6 + neg.length, X224_CONNECTION_REQUEST, 0, 0, 0, 0, 0]);
  const length = 4 + x224.length + neg.length;
  const tpkt = Buffer.from([3, 0, (length >> 8) & 0xff, length & 0xff]);
  return Buffer.concat([tpkt, x224, neg]);
}

export type NegotiationResult = { kind: "response"; selectedProtocol: number } | { kind: "failure"; code: number; name: string } | { kind: "none" };

/** Reads one Connection Confirm; throws on anything that is not one. */
export function parseConnectionConfirm(frame: Buffer): NegotiationResult {
  if (frame.length < 11 || frame[0] !== 3) throw new Error("the RDP listener did not answer with a TPKT frame");
  const length = frame.readUInt16BE(2);
  if (length !== frame.length) throw new Error(`TPKT length ${length} does not match the ${frame.length} bytes received`);
  const li = frame[4]!;
  if ((frame[5]! & 0xf0) !== X224_CONNECTION_CONFIRM) throw new Error(`not an X.224 Connection Confirm (code 0x${frame[5]!.toString(16)})`);
  if (li + 5 !== frame.length) throw new Error("X.224 length indicator does not match the frame");
  if (frame.length < 19) return { kind: "none" };
  const type = frame[11]!;
  const value = frame.readUInt32LE(15);
  if (type === TYPE_RDP_NEG_RSP) return { kind: "response", selectedProtocol: value };
  if (type === TYPE_RDP_NEG_FAILURE) return { kind: "failure", code: value, name: FAILURE_CODES[value] ?? `code ${value}` };
  throw new Error(`unknown RDP negotiation type ${type}`);
}

/** Connects, negotiates PROTOCOL_SSL, and returns the certificate the TLS handshake presents. */
export function probeRdp(target: RdpProbeTarget): Promise<ServedCertificate> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let socket: Socket | undefined;
    const timer = setTimeout(() => finish(new Error(`RDP handshake timed out after ${target.timeoutMs} ms`)), target.timeoutMs);
    const finish = (err: Error | null, value?: ServedCertificate): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    socket = netConnect({ host: target.host, port: target.port });
    socket.once("error", (err) => finish(err));
    socket.once("close", () => finish(new Error("the RDP listener closed the connection during negotiation")));
    socket.once("connect", () => socket!.write(connectionRequest()));
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const want = received.readUInt16BE(2);
      if (want < 4) return finish(new Error("the RDP listener sent a malformed TPKT frame"));
      if (received.length < want) return;
      socket!.off("data", onData);
      if (received.length > want) return finish(new Error("the RDP listener sent data after the Connection Confirm"));
      let result: NegotiationResult;
      try {
        result = parseConnectionConfirm(received);
      } catch (err) {
        return finish(err as Error);
      }
      if (result.kind === "failure") return finish(new Error(`the RDP listener refused TLS: ${result.name}`));
      if (result.kind === "none" || result.selectedProtocol !== PROTOCOL_SSL) {
        return finish(new Error(`the RDP listener chose protocol ${result.kind === "none" ? "standard RDP security" : result.selectedProtocol}, not TLS`));
      }
      socket!.removeAllListeners("close");
      socket!.removeAllListeners("error");
      socket!.on("error", () => undefined);
      // Reading what is served, not trusting it: the comparison is on the thumbprint.
      const tls = tlsConnect({ socket: socket!, rejectUnauthorized: false });
      tls.once("secureConnect", () => {
        try {
          const peer = tls.getPeerCertificate(true);
          if (!peer || !peer.raw) return finish(new Error("the RDP listener sent no certificate"));
          const served = describePeer(peer);
          tls.destroy();
          finish(null, served);
        } catch (err) {
          finish(err as Error);
        }
      });
      tls.once("error", (err) => finish(new Error(`TLS handshake on the RDP listener failed: ${err.message}`)));
      tls.once("close", () => finish(new Error("the RDP listener closed the connection during the TLS handshake")));
    };
    socket.on("data", onData);
  });
}
