import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { connectionRequest, parseConnectionConfirm, probeRdp } from "../../src/verify/rdp-probe.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

function serve(onData: (data: Buffer, write: (b: Buffer) => void, end: () => void) => void): Promise<number> {
  const server = createServer((socket) => {
    socket.on("error", () => undefined);
    socket.once("data", (d) => onData(d, (b) => socket.write(b), () => socket.destroy()));
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
}

describe("X.224 framing", () => {
  it("the Connection Request is TPKT + X.224 CR + RDP_NEG_REQ(PROTOCOL_SSL), 19 bytes ([MS-RDPBCGR] 2.2.1.1)", () => {
    expect(connectionRequest().toString("hex")).toBe("03000013" + "0ee00000000000" + "0100080001000000");
  });

  it("reads a Negotiation Response and a Negotiation Failure", () => {
    expect(parseConnectionConfirm(Buffer.from("030000130ed000001234000200080001000000", "hex"))).toEqual({ kind: "response", selectedProtocol: 1 });
    expect(parseConnectionConfirm(Buffer.from("030000130ed000001234000300080005000000", "hex"))).toEqual({ kind: "failure", code: 5, name: "HYBRID_REQUIRED_BY_SERVER" });
    expect(parseConnectionConfirm(Buffer.from("0300000b06d00000123400", "hex"))).toEqual({ kind: "none" });
  });

  it("refuses what is not a Connection Confirm", () => {
    expect(() => parseConnectionConfirm(Buffer.from("16030100", "hex"))).toThrow(/TPKT/);
    expect(() => parseConnectionConfirm(Buffer.from("030000130ee000001234000200080001000000", "hex"))).toThrow(/Connection Confirm/);
    expect(() => parseConnectionConfirm(Buffer.from("030000140ed000001234000200080001000000", "hex"))).toThrow(/TPKT length/);
  });
});

describe("probeRdp against misbehaving servers", () => {
  it("a server choosing standard RDP security is not a TLS proof", async () => {
    const port = await serve((_d, write) => write(Buffer.from("030000130ed000001234000200080000000000", "hex")));
    await expect(probeRdp({ host: "127.0.0.1", port, timeoutMs: 5000 })).rejects.toThrow(/chose protocol 0, not TLS/);
  });

  it("a Negotiation Failure names its code", async () => {
    const port = await serve((_d, write) => write(Buffer.from("030000130ed000001234000300080002000000", "hex")));
    await expect(probeRdp({ host: "127.0.0.1", port, timeoutMs: 5000 })).rejects.toThrow(/SSL_NOT_ALLOWED_BY_SERVER/);
  });

  it("a server that hangs up is reported, and the request it got was the 19-byte CR", async () => {
    let got: Buffer | undefined;
    const port = await serve((d, _w, end) => {
      got = d;
      end();
    });
    await expect(probeRdp({ host: "127.0.0.1", port, timeoutMs: 5000 })).rejects.toThrow(/closed the connection/);
    expect(got).toEqual(connectionRequest());
  });

  it("a server that never answers times out", async () => {
    const port = await serve(() => undefined);
    await expect(probeRdp({ host: "127.0.0.1", port, timeoutMs: 200 })).rejects.toThrow(/timed out after 200 ms/);
  });
});
