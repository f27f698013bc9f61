import { gunzipSync } from 'node:zlib';

export interface TarEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  linkTarget: string;
  data: Buffer;
}

/** True when the bytes look like a tar archive (ustar magic), possibly gzip-compressed. */
export function looksLikeTar(bytes: Buffer): boolean {
  const raw = maybeGunzip(bytes);
  return raw !== null && raw.length >= 512 && raw.subarray(257, 262).toString('latin1') === 'ustar';
}

function maybeGunzip(bytes: Buffer): Buffer | null {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch {
      return null;
    }
  }
  return bytes;
}

/**
 * Reads a (possibly gzipped) ustar/pax/GNU tar synchronously. ADD's local unpacking needs it inside
 * a synchronous step; archives in a build context are small enough to hold while unpacking.
 */
export function readTar(bytes: Buffer): TarEntry[] {
  const buf = maybeGunzip(bytes);
  if (!buf) throw new Error('corrupt gzip stream');
  const out: TarEntry[] = [];
  let offset = 0;
  let longName: string | null = null;
  let longLink: string | null = null;
  while (offset + 512 <= buf.length) {
    const h = buf.subarray(offset, offset + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, n: number): string => h.subarray(a, a + n).toString('utf8').replace(/\0.*$/s, '');
    const num = (a: number, n: number): number => parseInt(str(a, n).trim() || '0', 8);
    const size = num(124, 12);
    const flag = String.fromCharCode(h[156] || 48);
    const data = buf.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (flag === 'L') {
      longName = data.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (flag === 'K') {
      longLink = data.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (flag === 'x') {
      const pax = parsePax(data);
      if (pax.path) longName = pax.path;
      if (pax.linkpath) longLink = pax.linkpath;
      continue;
    }
    if (flag === 'g') continue;
    const prefix = str(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    const type = flag === '5' ? 'dir' : flag === '2' ? 'symlink' : flag === '1' ? 'hardlink' : flag === '0' || flag === '7' ? 'file' : 'other';
    out.push({ path: name, type, mode: num(100, 8) & 0o7777, uid: num(108, 8), gid: num(116, 8), linkTarget: longLink ?? str(157, 100), data: Buffer.from(data) });
    longName = null;
    longLink = null;
  }
  return out;
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  const text = data.toString('utf8');
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    if (sp < 0) break;
    const len = parseInt(text.slice(i, sp), 10);
    if (!len) break;
    const rec = text.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}
