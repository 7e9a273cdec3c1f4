/**
 * Version of SWITCHD and the one-line report of what it runs with.
 *
 * @module
 */

/** Version of SWITCHD (the TypeScript daemon). */
export const SWITCHD_VERSION = "0.1.0";

/** What the report says about the loaded data plane library. */
export interface DataplaneInfo {
  /** Version of the dataplane crate. */
  readonly version: string;
  /** ABI version the library reports. */
  readonly abiVersion: number;
  /** File the library was loaded from. */
  readonly path: string;
}

/**
 * Formats the version line, e.g.
 * `xeth-switchd 0.1.0, dataplane 0.1.0 (ABI 1) from /usr/lib/...so`.
 *
 * Without `dataplane` (the library could not be loaded) only SWITCHD's own
 * version is given, so `--version` still answers something useful.
 */
export function formatVersionReport(
  dataplane?: DataplaneInfo,
  switchdVersion: string = SWITCHD_VERSION,
): string {
  const head = `xeth-switchd ${switchdVersion}`;
  if (dataplane === undefined) return head;
  return `${head}, dataplane ${dataplane.version} (ABI ${dataplane.abiVersion}) from ${dataplane.path}`;
}
