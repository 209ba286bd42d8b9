/**
 * connectWinrm: the WinRM backend behind the Transport interface. Reads the password from the
 * environment variable the inventory names, connects (HTTP 5985 with NTLM and message
 * encryption by default; HTTPS with NTLM or Basic), creates the visit's cmd shell.
 */
import { readFile } from "node:fs/promises";
import type { ResolvedHost } from "../../inventory/schema.js";
import { CertfleetError } from "../../model/errors.js";
import type { Transport } from "../transport.js";
import { logOn, type WinrmCredentials } from "./auth.js";
import { endpointUrl, HttpConnection } from "./connection.js";
import { splitUserName } from "./ntlm/index.js";
import { requestTimeoutMs, toCertfleetError, WinrmTransport } from "./shell-transport.js";

export { WinrmConnectionLostError, WinrmTransport } from "./shell-transport.js";

export interface ConnectWinrmOptions {
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** seconds the server may hold a Receive (w:OperationTimeout); default 20 as pywinrm */
  operationTimeoutS?: number;
  /** where the passwordEnv variable is read; defaults to process.env */
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_OPERATION_TIMEOUT_S = 20;

function credentials(host: ResolvedHost, env: NodeJS.ProcessEnv): WinrmCredentials {
  if (host.passwordEnv === undefined) {
    throw new CertfleetError("auth", "WinRM needs a password: set passwordEnv in the inventory (the NAME of an environment variable)", host.name);
  }
  const password = env[host.passwordEnv];
  if (password === undefined || password === "") {
    throw new CertfleetError("auth", `environment variable ${host.passwordEnv} (named by passwordEnv) is not set`, host.name);
  }
  const split = splitUserName(host.user);
  return { username: split.username, domain: host.domain ?? split.domain, password };
}

export async function connectWinrm(host: ResolvedHost, options: ConnectWinrmOptions = {}): Promise<Transport> {
  const env = options.env ?? process.env;
  const creds = credentials(host, env);
  const https = host.https === true;
  let ca: Buffer | undefined;
  if (host.caFile !== undefined) {
    try {
      ca = await readFile(host.caFile);
    } catch (err) {
      throw new CertfleetError("host-key", `cannot read caFile ${host.caFile}: ${(err as Error).message}`, host.name, undefined, { cause: err });
    }
  }
  const timings = {
    operationTimeoutS: options.operationTimeoutS ?? DEFAULT_OPERATION_TIMEOUT_S,
    commandTimeoutMs: host.commandTimeoutMs ?? options.commandTimeoutMs ?? 120_000,
  };
  const endpoint = {
    address: host.address,
    port: host.port,
    https,
    ...(ca !== undefined ? { ca } : {}),
    ...(host.certThumbprint !== undefined ? { certThumbprint: host.certThumbprint } : {}),
    connectTimeoutMs: host.connectTimeoutMs ?? options.connectTimeoutMs ?? 20_000,
  };
  const conn = new HttpConnection(endpoint);
  try {
    const channel = await logOn(conn, creds, requestTimeoutMs(timings));
    return await WinrmTransport.open(host.name, conn, channel, endpointUrl(endpoint), timings, `${endpointUrl(endpoint)} ${creds.domain}\\${creds.username}`);
  } catch (err) {
    conn.close();
    throw toCertfleetError(host.name, err, `opening a WinRM shell on ${endpointUrl(endpoint)}`);
  }
}
