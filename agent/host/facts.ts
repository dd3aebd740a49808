import { ATTR } from "../../protocol/index.js";

/** OTel `host.arch` from Node's `os.arch()`. */
export function hostArch(nodeArch: string): string {
  const map: Record<string, string> = { x64: "amd64", ia32: "x86", arm: "arm32", arm64: "arm64", ppc: "ppc32", ppc64: "ppc64", s390x: "s390x" };
  return map[nodeArch] ?? nodeArch;
}

/** OTel `os.type` from Node's `process.platform`. */
export function osType(platform: string): string {
  return platform === "win32" ? "windows" : platform === "sunos" ? "solaris" : platform;
}

/** `PRETTY_NAME` (or `NAME VERSION`) of an os-release file. */
export function parseOsRelease(text: string): string | undefined {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) values.set(m[1] as string, (m[2] as string).replace(/^(["'])(.*)\1$/, "$2"));
  }
  const pretty = values.get("PRETTY_NAME");
  if (pretty) return pretty;
  const name = values.get("NAME");
  return name ? [name, values.get("VERSION")].filter(Boolean).join(" ") : undefined;
}

/** The CPU model from `/proc/cpuinfo` (`model name` on x86, `Model` or `Hardware` on ARM boards). */
export function parseCpuModel(text: string): string | undefined {
  for (const key of ["model name", "Model", "Hardware", "cpu model"]) {
    const m = new RegExp(`^${key}\\s*:\\s*(.+)$`, "m").exec(text);
    if (m) return (m[1] as string).trim();
  }
  return undefined;
}

export interface StaticFacts {
  arch: string;
  osType: string;
  osDescription?: string;
  osVersion?: string;
  cpuModel?: string;
}

/** Facts as resource attributes (`host.arch`, `os.type`, `os.description`, `os.version`, `host.cpu.model.name`). */
export function factAttributes(facts: StaticFacts): Record<string, string> {
  const out: Record<string, string> = { [ATTR.hostArch]: facts.arch, [ATTR.osType]: facts.osType };
  if (facts.osDescription) out[ATTR.osDescription] = facts.osDescription;
  if (facts.osVersion) out[ATTR.osVersion] = facts.osVersion;
  if (facts.cpuModel) out[ATTR.hostCpuModelName] = facts.cpuModel;
  return out;
}
