/** certfleet's NTLMv2 (MS-NLMP) for WinRM: client and server sides, and session security. */
export { NtlmError, type NtlmFailure } from "./errors.js";
export { NtlmInitiator, splitUserName, type NtlmCredentials, type NtlmInitiatorOptions } from "./initiator.js";
export { NtlmAcceptor, type NtlmAcceptorOptions, type PasswordLookup } from "./acceptor.js";
export { NtlmSessionSecurity, type NtlmRole, type NtlmSession, type SealedMessage } from "./session.js";
export { certificateBindingHash, channelBindingsHash, tlsServerEndPointBindings } from "./channel-bindings.js";
