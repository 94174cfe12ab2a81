/**
 * How much of a client's address sessionwatch stores (option `ipPrivacy`): the whole address, or
 * only its network, so that the sessions list and the security log still tell "home" from "a
 * country I never visited" without keeping an address that identifies one subscriber.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { recordedIp } from '../tracking/records';

/**
 * `full`: the address as seen; `truncate`: IPv4 to its /24 (`203.0.113.0`), IPv6 to its /48
 * (`2001:db8:1::`), an IPv4 address inside an IPv6 one to its /24 (see {@link truncateIp}).
 */
export type IpPrivacy = 'full' | 'truncate';

/** The 8 groups of an IPv6 address (a trailing dotted IPv4 part counts as two), or null. */
function ipv6Groups(ip: string): number[] | null {
  let text = ip.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

/** The /24 of the IPv4 address in two IPv6 groups, dotted: `5102:458e` → `81.2.69.0`. */
function ipv4Network(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.0`;
}

/**
 * The network of `ip`: IPv4 to its /24, IPv6 to its /48 — but an IPv6 address that carries an
 * IPv4 one keeps no more of it than its /24: IPv4-mapped (`::ffff:81.2.69.142`, also written
 * `::ffff:5102:458e`) becomes `81.2.69.0`, NAT64's well-known prefix `64:ff9b::81.2.69.0`, and 6to4
 * (`2002:5102:458e::`, whose /48 is the whole IPv4 address) its /40, `2002:5102:4500::`.
 * Anything that is not an address is returned as is.
 */
export function truncateIp(ip: string): string {
  if (isIPv4(ip)) return ip.replace(/\.\d+$/, '.0');
  if (!isIPv6(ip)) return ip;
  const groups = ipv6Groups(ip);
  if (!groups) return ip;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) return ipv4Network(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return `64:ff9b::${ipv4Network(g6, g7)}`;
  // 6to4: the IPv4 address is groups 1 and 2; its /24 ends inside group 2.
  const kept = g0 === 0x2002 ? [g0, g1, g2 & 0xff00] : groups.slice(0, 3);
  // Shortest form: trailing zero groups of the kept part fold into the `::` too.
  while (kept.length && kept[kept.length - 1] === 0) kept.pop();
  return `${kept.map((g) => g.toString(16)).join(':')}::`;
}

/** Addresses remembered by a {@link storedIpOf} function before it starts over. */
const MEMO_ENTRIES = 10_000;

/** A request's address: validated in full (for the location lookup), and as stored. */
export interface StoredAddress {
  /** Valid IPv4 / IPv6 or `''` ({@link recordedIp}): looked up, never stored with `truncate`. */
  full: string;
  /** What is stored: {@link full}, truncated when `ipPrivacy` says so. */
  stored: string;
}

/**
 * The address of a request's `ctx.ip`: validated ({@link recordedIp}), and truncated for storing
 * when `privacy` says so. Memoized: every request of a session compares its address with the
 * stored one, and the same few addresses come back over and over.
 */
export function storedIpOf(privacy: IpPrivacy): (rawIp: string) => StoredAddress {
  const memo = new Map<string, StoredAddress>();
  return (rawIp) => {
    let address = memo.get(rawIp);
    if (address === undefined) {
      const full = recordedIp(rawIp);
      address = { full, stored: privacy === 'truncate' ? truncateIp(full) : full };
      if (memo.size >= MEMO_ENTRIES) memo.clear();
      memo.set(rawIp, address);
    }
    return address;
  };
}
