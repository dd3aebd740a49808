/**
 * What the host source leaves out. Each exclusion is a regular expression matched against a
 * name, with node_exporter's defaults and meaning, so its flags carry over
 * (`--collector.filesystem.fs-types-exclude`, `.mount-points-exclude`,
 * `--collector.diskstats.device-exclude`, `--collector.netdev.device-exclude`).
 */
export interface HostFilters {
  /** Filesystem types left out. Default: pseudo filesystems, overlay and squashfs (FS_TYPES_EXCLUDE). */
  filesystemTypesExclude?: string;
  /** Mount points left out. Default: `/dev`, `/proc`, `/sys`, Docker's and Podman's storage (MOUNT_POINTS_EXCLUDE). */
  mountPointsExclude?: string;
  /** Block devices left out of disk I/O. Default: partitions, loop, ram and zram devices, like node_exporter (DISK_DEVICES_EXCLUDE). */
  diskDevicesExclude?: string;
  /** Network interfaces left out. Default: loopback and containers' veth pairs (NETWORK_INTERFACES_EXCLUDE). */
  networkInterfacesExclude?: string;
}

export const FS_TYPES_EXCLUDE =
  "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$";
export const MOUNT_POINTS_EXCLUDE = "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";
/** Partitions of sd/vd/hd/xvd and NVMe disks, plus loop, ram, zram and floppy devices. */
export const DISK_DEVICES_EXCLUDE = "^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p|mmcblk\\d+p)\\d+$";
export const NETWORK_INTERFACES_EXCLUDE = "^(lo|veth.*)$";

/** The filters compiled once; an empty string means "exclude nothing". */
export interface CompiledFilters {
  fsTypes?: RegExp;
  mountPoints?: RegExp;
  disks?: RegExp;
  interfaces?: RegExp;
}

/** Compiles the filters, failing at start-up with the option's name and value if one is not a valid expression. */
export function compileFilters(filters: HostFilters = {}): CompiledFilters {
  const compile = (key: keyof HostFilters, fallback: string): RegExp | undefined => {
    const source = filters[key] ?? fallback;
    if (source === "") return undefined;
    try {
      return new RegExp(source);
    } catch (err) {
      throw new Error(`host option ${key}: ${JSON.stringify(source)} is not a valid regular expression (${(err as Error).message})`);
    }
  };
  return {
    fsTypes: compile("filesystemTypesExclude", FS_TYPES_EXCLUDE),
    mountPoints: compile("mountPointsExclude", MOUNT_POINTS_EXCLUDE),
    disks: compile("diskDevicesExclude", DISK_DEVICES_EXCLUDE),
    interfaces: compile("networkInterfacesExclude", NETWORK_INTERFACES_EXCLUDE),
  };
}
