import { ATTR, METRIC, type Metric } from "../../protocol/index.js";

export interface InterfaceStats {
  name: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

/**
 * `/proc/net/dev`, one entry per interface whose name `exclude` does not match. The name ends at
 * the first colon (names may hold dots and dashes, and wide counters touch the
 * colon: `eth0:1234567890123`).
 */
export function parseNetDev(text: string, exclude?: RegExp): InterfaceStats[] {
  const out: InterfaceStats[] = [];
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === "" || name.includes("|")) continue;
    if (exclude?.test(name)) continue;
    const n = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (n.length < 16 || n.some((x) => !Number.isFinite(x))) continue;
    const at = (i: number) => n[i] as number;
    out.push({
      name,
      rxBytes: at(0),
      rxPackets: at(1),
      rxErrors: at(2),
      rxDropped: at(3),
      txBytes: at(8),
      txPackets: at(9),
      txErrors: at(10),
      txDropped: at(11),
    });
  }
  return out;
}

export function networkMetrics(interfaces: InterfaceStats[]): Metric[] {
  if (interfaces.length === 0) return [];
  // OTel names the interface `system.device` on packet counts and `network.interface.name` elsewhere.
  const rxtx = (key: string, i: InterfaceStats, rx: number, tx: number) => [
    { attributes: { [key]: i.name, [ATTR.networkIoDirection]: "receive" }, value: rx },
    { attributes: { [key]: i.name, [ATTR.networkIoDirection]: "transmit" }, value: tx },
  ];
  const iface = ATTR.networkInterfaceName;
  return [
    { name: METRIC.networkIo, type: "counter", unit: "By", points: interfaces.flatMap((i) => rxtx(iface, i, i.rxBytes, i.txBytes)) },
    { name: METRIC.networkPackets, type: "counter", unit: "{packet}", points: interfaces.flatMap((i) => rxtx(ATTR.device, i, i.rxPackets, i.txPackets)) },
    { name: METRIC.networkErrors, type: "counter", unit: "{error}", points: interfaces.flatMap((i) => rxtx(iface, i, i.rxErrors, i.txErrors)) },
    { name: METRIC.networkDropped, type: "counter", unit: "{packet}", points: interfaces.flatMap((i) => rxtx(iface, i, i.rxDropped, i.txDropped)) },
  ];
}

/** An interface's state from `/sys/class/net/<name>/`: `operstate` and `mtu` (undefined when unreadable). */
export interface InterfaceLink {
  name: string;
  operstate?: string;
  mtu?: number;
}

/** node_exporter's `up` (1 when operstate is `up`; loopback says `unknown`) and MTU. */
export function linkMetrics(links: InterfaceLink[]): Metric[] {
  const up = [];
  const mtu = [];
  for (const l of links) {
    const attributes = { [ATTR.networkInterfaceName]: l.name };
    if (l.operstate !== undefined) up.push({ attributes, value: l.operstate.trim() === "up" ? 1 : 0 });
    if (l.mtu !== undefined) mtu.push({ attributes, value: l.mtu });
  }
  const out: Metric[] = [];
  if (up.length > 0) out.push({ name: METRIC.networkUp, type: "gauge", unit: "1", points: up });
  if (mtu.length > 0) out.push({ name: METRIC.networkMtu, type: "gauge", unit: "By", points: mtu });
  return out;
}
