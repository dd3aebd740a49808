import { ATTR, METRIC, type Metric } from "../../protocol/index.js";

/** One mounted filesystem, as the kernel lists it. */
export interface Mount {
  mountPoint: string;
  /** The mount source: `/dev/vda1`, `tmpfs`, `server:/export`. */
  device: string;
  fsType: string;
  readOnly: boolean;
  /** `major:minor` of the filesystem (mountinfo only): bind mounts of one filesystem share it. */
  deviceId?: string;
  /** The directory of the filesystem that is mounted here (mountinfo only): `/` unless a bind mount of a subtree. */
  root?: string;
}

/** Octal escapes the kernel writes for space, tab, newline and backslash in paths (`\040`). */
function unescape(s: string): string {
  return s.includes("\\") ? s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))) : s;
}

function isReadOnly(...options: (string | undefined)[]): boolean {
  return options.some((o) => o !== undefined && o.split(",").includes("ro"));
}

/** `/proc/<pid>/mountinfo`: `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`. */
export function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    const sep = f.indexOf("-", 6);
    if (sep < 0 || f.length < sep + 3) continue;
    out.push({
      deviceId: f[2],
      root: unescape(f[3] as string),
      mountPoint: unescape(f[4] as string),
      readOnly: isReadOnly(f[5], f[sep + 3]),
      fsType: f[sep + 1] as string,
      device: unescape(f[sep + 2] as string),
    });
  }
  return out;
}

/** `/proc/mounts` (the fallback when mountinfo cannot be read): `/dev/vda / ext4 rw,relatime 0 0`. */
export function parseProcMounts(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length < 4) continue;
    out.push({ device: unescape(f[0] as string), mountPoint: unescape(f[1] as string), fsType: f[2] as string, readOnly: isReadOnly(f[3]) });
  }
  return out;
}

export interface MountFilter {
  /** Filesystem types left out (pseudo filesystems). */
  excludeTypes?: RegExp;
  /** Mount points left out. */
  excludeMountPoints?: RegExp;
}

/**
 * The filesystems worth reporting: excluded types and mount points left out; a mount point
 * mounted over keeps only its last (visible) mount; one filesystem mounted several times (bind
 * mounts, btrfs subvolumes — same `major:minor`, or same block device in `/proc/mounts`) is
 * reported once, at its whole-filesystem mount with the shortest path.
 */
export function selectMounts(mounts: Mount[], filter: MountFilter): Mount[] {
  const byMountPoint = new Map<string, Mount>();
  for (const m of mounts) {
    if (filter.excludeTypes?.test(m.fsType)) continue;
    if (filter.excludeMountPoints?.test(m.mountPoint)) continue;
    byMountPoint.delete(m.mountPoint); // re-insert so the visible mount keeps the later position
    byMountPoint.set(m.mountPoint, m);
  }
  const byFilesystem = new Map<string, Mount>();
  for (const m of byMountPoint.values()) {
    const key = m.deviceId ?? (m.device.startsWith("/") ? m.device : `mountpoint:${m.mountPoint}`);
    const seen = byFilesystem.get(key);
    if (!seen || better(m, seen)) byFilesystem.set(key, m);
  }
  return [...byFilesystem.values()];
}

function better(a: Mount, b: Mount): boolean {
  const aWhole = (a.root ?? "/") === "/";
  const bWhole = (b.root ?? "/") === "/";
  if (aWhole !== bWhole) return aWhole;
  return a.mountPoint.length < b.mountPoint.length;
}

/** What `statfs(2)` says of a filesystem (Node's `fs.StatFs`). */
export interface FsSpace {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  /** Inodes in all and free (absent from some test doubles). */
  files?: number;
  ffree?: number;
}

/**
 * OTel's filesystem states from statfs: used = blocks − bfree, free = bavail (what an
 * unprivileged user can still write), reserved = bfree − bavail (root's reserve); the limit is
 * blocks. node_exporter's size, free and avail are limit, free + reserved and free.
 * A filesystem without `space` could not be measured (statfs failed or hung, or the mount is not
 * visible under the host root): it gets only `vigie.system.filesystem.error` = 1, never numbers
 * that belong to another filesystem. Filesystems of size zero are left out.
 */
export function filesystemMetrics(filesystems: { mount: Mount; space?: FsSpace }[]): Metric[] {
  const usage = [];
  const limit = [];
  const errors = [];
  const inodes = [];
  const readonly = [];
  for (const { mount, space } of filesystems) {
    if (space !== undefined && space.blocks <= 0) continue;
    const attributes = {
      [ATTR.device]: mount.device,
      [ATTR.filesystemType]: mount.fsType,
      [ATTR.filesystemMode]: mount.readOnly ? "ro" : "rw",
      [ATTR.filesystemMountpoint]: mount.mountPoint,
    };
    errors.push({ attributes, value: space === undefined ? 1 : 0 });
    readonly.push({ attributes, value: mount.readOnly ? 1 : 0 });
    if (space === undefined) continue;
    if (space.files !== undefined && space.ffree !== undefined && space.files > 0) {
      inodes.push(
        { attributes: { ...attributes, [ATTR.filesystemState]: "used" }, value: Math.max(0, space.files - space.ffree) },
        { attributes: { ...attributes, [ATTR.filesystemState]: "free" }, value: Math.max(0, space.ffree) },
      );
    }
    const bytes = (blocks: number) => Math.max(0, blocks) * space.bsize;
    usage.push(
      { attributes: { ...attributes, [ATTR.filesystemState]: "used" }, value: bytes(space.blocks - space.bfree) },
      { attributes: { ...attributes, [ATTR.filesystemState]: "free" }, value: bytes(space.bavail) },
      { attributes: { ...attributes, [ATTR.filesystemState]: "reserved" }, value: bytes(space.bfree - space.bavail) },
    );
    limit.push({ attributes, value: bytes(space.blocks) });
  }
  const out: Metric[] = [];
  if (limit.length > 0) {
    out.push(
      { name: METRIC.filesystemUsage, type: "updowncounter", unit: "By", points: usage },
      { name: METRIC.filesystemLimit, type: "updowncounter", unit: "By", points: limit },
    );
  }
  if (inodes.length > 0) out.push({ name: METRIC.filesystemInodes, type: "updowncounter", unit: "{inode}", points: inodes });
  if (errors.length > 0) {
    out.push({ name: METRIC.filesystemError, type: "gauge", unit: "1", points: errors }, { name: METRIC.filesystemReadonly, type: "gauge", unit: "1", points: readonly });
  }
  return out;
}
