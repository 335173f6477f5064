// Where webhooks may go: an endpoint's address is checked when it is saved and, resolved, before every attempt, and
// the connection is made to the address that was checked (a name that resolves elsewhere the second time, DNS
// rebinding, cannot turn Roster against its own network).
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Addresses no webhook reaches unless the operator allows it (ROSTER_WEBHOOKS_ALLOW_PRIVATE). */
const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space, carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, where cloud metadata services listen
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and broadcast
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback, and IPv4-compatible ::a.b.c.d (deprecated; tunnelled to IPv4 where sit is up)
  ['::ffff:0:0:0', 96], // IPv4-translated (SIIT, RFC 6145)
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215): the operator's own translator
  ['2002::', 16], // 6to4, which embeds any IPv4 address, private ones included
  ['fc00::', 7], // unique local (ULA)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed by some)
  ['ff00::', 8], // multicast
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv6');
}

/** Whether an IP address is loopback, private, link-local, ULA, CGNAT or otherwise not on the public internet. */
export function isInternalAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return INTERNAL.check(bare, 'ipv4');
  if (family !== 6) return true;
  const lower = bare.toLowerCase();
  // An IPv4 address written as IPv6 (mapped ::ffff:a.b.c.d, or NAT64 64:ff9b::a.b.c.d) is the IPv4 address.
  const embedded = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  if (embedded) return INTERNAL.check(embedded, 'ipv4');
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const value = (Number.parseInt(hex[1] as string, 16) << 16) | Number.parseInt(hex[2] as string, 16);
    const v4 = [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
    return INTERNAL.check(v4, 'ipv4');
  }
  return INTERNAL.check(bare, 'ipv6');
}

/** Why an endpoint URL may not be saved, or null when it may. Names are resolved at delivery time, not here. */
export function urlRefusal(raw: string, allowInternal: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'A full address such as https://app.example.com/roster/webhooks';
  }
  if (url.protocol !== 'https:' && !(allowInternal && url.protocol === 'http:')) {
    return allowInternal ? 'The address must start with https:// or http://' : 'The address must start with https://';
  }
  if (url.username || url.password) return 'The address may not hold a user name or password';
  if (url.hash) return 'The address may not hold a #fragment';
  if (allowInternal) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host) ? isInternalAddress(host) : isLocalName(host)) {
    return 'The address is on a loopback or private network; the server operator must allow such endpoints';
  }
  return null;
}

const isLocalName = (host: string) =>
  host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal');

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/** A refused address at delivery time: counted as a failed attempt with this message. */
export class AddressRefused extends Error {}

/**
 * The address to connect to for a URL's host: the literal address, or the first the name resolves to; refused when
 * any resolved address is internal and the operator has not allowed it (a name with one public and one internal
 * address is refused rather than left to chance).
 */
export async function pinAddress(
  hostname: string,
  allowInternal: boolean,
  resolve: Resolver,
): Promise<{ address: string; family: 4 | 6 }> {
  const host = hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host);
  const found = literal ? [{ address: host, family: literal }] : await resolve(host);
  if (found.length === 0) throw new AddressRefused(`${host} does not resolve to any address`);
  if (!allowInternal) {
    const internal = found.find((entry) => isInternalAddress(entry.address));
    if (internal) {
      throw new AddressRefused(
        `${host} resolves to ${internal.address}, a loopback or private address; the server operator must allow such endpoints`,
      );
    }
  }
  const first = found[0] as { address: string; family: number };
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
