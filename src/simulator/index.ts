/** The simulated Windows fleet: the one fixture for tests, the benchmark and `certfleet demo`. */
export { createCa, createCertificate, toCerFile, toPem, toPfx, type CertificateOptions, type SimCa, type SimCertificate } from "./pki.js";
export type {
  SimBinding,
  SimBindingKind,
  SimBindingSpec,
  SimCertificateSpec,
  SimFaults,
  SimHostSpec,
  SimLanguage,
  SimOs,
  SimProfile,
  SimShell,
  SimSnapshot,
  SimStoreEntry,
} from "./state.js";
export { SimHost } from "./host.js";
export { startFleet, type ClientKey, type FleetFiles, type FleetOptions, type InventoryOptions, type SimFleet } from "./fleet.js";
export { APPID, demoCertificates, demoFleetSpecs, type DemoCertificates } from "./demo.js";
export type { SimConsumersSpec, SimService } from "./consumers.js";
export type { SimConsumerSnapshot } from "./host.js";
export type { SimAce } from "./key-acl.js";
export type { SimRegistryValue } from "./registry.js";
export type { SimWinrmListener } from "./winrm-listener.js";
