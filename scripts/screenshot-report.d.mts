// Types for scripts/screenshot-report.mjs, so the TypeScript tests can import its checks.
export declare const DEFAULT_CHROMIUM: string;
export declare function findExternalReferences(html: string): string[];
export declare function pageRequestsFromLog(log: string): string[];
export interface ScreenshotResult {
  ok: boolean;
  problem?: string;
  pngPath?: string;
  bytes?: number;
  staticFindings: string[];
  pageRequests: string[];
}
export declare function screenshotReport(options: {
  htmlPath: string;
  pngPath: string;
  chromium?: string;
  staticCheck?: boolean;
  timeoutMs?: number;
}): Promise<ScreenshotResult>;
