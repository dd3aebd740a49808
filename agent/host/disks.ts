import { ATTR, METRIC, type Metric } from "../../protocol/index.js";

/** `/proc/diskstats` counts sectors of 512 bytes whatever the device's real sector size. */
const SECTOR_BYTES = 512;

export interface DiskStats {
  device: string;
  reads: number;
  readsMerged: number;
  readBytes: number;
  readSeconds: number;
  writes: number;
  writesMerged: number;
  writtenBytes: number;
  writeSeconds: number;
  inProgress: number;
  ioSeconds: number;
  weightedIoSeconds: number;
}

/**
 * `/proc/diskstats`, one entry per device whose name `exclude` does not match. Lines with only
 * four counters (partitions on kernels before 2.6.25) carry reads, sectors read, writes and
 * sectors written.
 */
export function parseDiskstats(text: string, exclude?: RegExp): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    const device = f[2];
    if (device === undefined || f.length < 7) continue;
    if (exclude?.test(device)) continue;
    const n = f.slice(3).map(Number);
    if (n.some((x) => !Number.isFinite(x))) continue;
    const at = (i: number) => n[i] ?? 0;
    if (n.length === 4) {
      out.push({
        device,
        reads: at(0),
        readsMerged: 0,
        readBytes: at(1) * SECTOR_BYTES,
        readSeconds: 0,
        writes: at(2),
        writesMerged: 0,
        writtenBytes: at(3) * SECTOR_BYTES,
        writeSeconds: 0,
        inProgress: 0,
        ioSeconds: 0,
        weightedIoSeconds: 0,
      });
      continue;
    }
    out.push({
      device,
      reads: at(0),
      readsMerged: at(1),
      readBytes: at(2) * SECTOR_BYTES,
      readSeconds: at(3) / 1000,
      writes: at(4),
      writesMerged: at(5),
      writtenBytes: at(6) * SECTOR_BYTES,
      writeSeconds: at(7) / 1000,
      inProgress: at(8),
      ioSeconds: at(9) / 1000,
      weightedIoSeconds: at(10) / 1000,
    });
  }
  return out;
}

export function diskMetrics(disks: DiskStats[]): Metric[] {
  if (disks.length === 0) return [];
  const rw = (d: DiskStats, read: number, write: number) => [
    { attributes: { [ATTR.device]: d.device, [ATTR.diskIoDirection]: "read" }, value: read },
    { attributes: { [ATTR.device]: d.device, [ATTR.diskIoDirection]: "write" }, value: write },
  ];
  const one = (d: DiskStats, value: number) => ({ attributes: { [ATTR.device]: d.device }, value });
  return [
    { name: METRIC.diskIo, type: "counter", unit: "By", points: disks.flatMap((d) => rw(d, d.readBytes, d.writtenBytes)) },
    { name: METRIC.diskOperations, type: "counter", unit: "{operation}", points: disks.flatMap((d) => rw(d, d.reads, d.writes)) },
    { name: METRIC.diskOperationTime, type: "counter", unit: "s", points: disks.flatMap((d) => rw(d, d.readSeconds, d.writeSeconds)) },
    { name: METRIC.diskMerged, type: "counter", unit: "{operation}", points: disks.flatMap((d) => rw(d, d.readsMerged, d.writesMerged)) },
    { name: METRIC.diskIoTime, type: "counter", unit: "s", points: disks.map((d) => one(d, d.ioSeconds)) },
    { name: METRIC.diskWeightedIoTime, type: "counter", unit: "s", points: disks.map((d) => one(d, d.weightedIoSeconds)) },
    { name: METRIC.diskPendingOperations, type: "updowncounter", unit: "{operation}", points: disks.map((d) => one(d, d.inProgress)) },
  ];
}
