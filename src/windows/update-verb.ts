/**
 * Whether a host's netsh has `http update sslcert`, as far as its OS build tells (pure).
 *
 * Windows Server 2012 R2 (build 9600) has no `update` verb in the http context: it answers
 * "The following command was not found: http update sslcert ..." (windows-samples/messages.md,
 * section 3, CONFIRMED); 2012 and 2008 R2 did not document it either. Windows 10 clients have it,
 * Server 2019 has it; Server 2016 (14393) is not verified. So only a build older than Windows 10's
 * first (10240) says "no"; anything newer, or a build that could not be read, stays "unknown" and
 * the first update a host receives tells (src/host/rebind-batch.ts, src/host/change-binding.ts).
 */
export const FIRST_BUILD_THAT_MAY_HAVE_UPDATE = 10240;

export function updateVerbByBuild(build: number | undefined): "no" | "unknown" {
  return build !== undefined && build < FIRST_BUILD_THAT_MAY_HAVE_UPDATE ? "no" : "unknown";
}
