/**
 * The runner guard. The committed bundle vendors onnxruntime-node's native library for linux/x64 only (the other
 * platforms would add ~45 MB each to every `uses:` download), and onnxruntime-node loads that library the moment it
 * is imported. So the platform is checked first, and the pipeline (which imports onnxruntime-node) is loaded only
 * after the check passes, with a dynamic import.
 */

export interface Platform {
  platform: NodeJS.Platform;
  arch: string;
}

export const SUPPORTED_PLATFORMS: readonly Platform[] = [{ platform: 'linux', arch: 'x64' }];

/** Why this runner cannot run the action, or null when it can. */
export function unsupportedPlatformMessage(current: Platform = { platform: process.platform, arch: process.arch }): string | null {
  if (SUPPORTED_PLATFORMS.some((p) => p.platform === current.platform && p.arch === current.arch)) return null;
  const supported = SUPPORTED_PLATFORMS.map((p) => `${p.platform}/${p.arch}`).join(', ');
  return (
    `Numerai Autopilot runs on ${supported} runners only, and this runner is ${current.platform}/${current.arch}. ` +
    `Use \`runs-on: ubuntu-latest\` (or another x64 Linux runner) for the job that uses this action; ` +
    `on other machines use the numerai-autopilot CLI, which installs onnxruntime-node for the local platform.`
  );
}
