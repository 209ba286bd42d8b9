import { z } from "zod";

/**
 * The two PFX formats certfleet writes for a host (src/certificate/pfx-repackage.ts):
 * `legacy-3des-sha1` (Windows' "TripleDES-SHA1" export) for builds older than 17763, which cannot
 * read PBES2/AES, and `aes256-sha256` (Windows' "AES256-SHA256", OpenSSL 3's default) for newer ones.
 */
export const PfxFormat = z.enum(["legacy-3des-sha1", "aes256-sha256"]);
export type PfxFormat = z.infer<typeof PfxFormat>;

/** Windows Server 2019 / Windows 10 1809: the first build that imports PBES2/AES PFX files. */
export const AES_PFX_MIN_BUILD = 17763;

export function pfxFormatFor(build: number): PfxFormat {
  return build >= AES_PFX_MIN_BUILD ? "aes256-sha256" : "legacy-3des-sha1";
}
