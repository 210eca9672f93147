/**
 * Seeded generators of malformed input for the fuzz run (tests/security/fuzz.test.ts): random and
 * mutated bytes, hostile strings, and structure-aware mutations of JSON values. Everything draws
 * from one `Rand` (mulberry32, tests/helpers/prng.ts), so a seed names one exact sequence of inputs.
 */
import { prng } from '../helpers/prng.js';

export interface Rand {
  /** [0, 1) */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Buffer;
}

export function rand(seed: number): Rand {
  const next = prng(seed);
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => items[int(items.length)]!,
    bytes: (n) => {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = int(256);
      return b;
    },
  };
}

/** A length that is usually small and sometimes large: most bugs hide at 0, 1 and the edges. */
export function sizeOf(r: Rand, max: number): number {
  const roll = r.next();
  if (roll < 0.1) return 0;
  if (roll < 0.6) return r.int(16);
  if (roll < 0.9) return r.int(512);
  return r.int(max + 1);
}

/** Strings that tend to break parsers, validators, loggers and databases. */
const NASTY = [
  '',
  ' ',
  '\u0000',
  '\uFEFF',
  '\uD800', // a lone surrogate: not encodable as UTF-8
  '\u202E\u202D',
  '𠮷野家',
  '￥１２３',
  'ＫＣ－ＬＷ－２０２６０１０１－０００００１',
  'KC-LW-20260101-000001\n',
  'KC-NH-99999999-999999999999',
  '../../etc/passwd',
  '%00%2e%2e%2f',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '{{7*7}}${7*7}',
  '__proto__',
  'constructor',
  'NaN',
  '-0',
  '1e400',
  '9007199254740993',
  'true',
  'null',
  '\r\n\r\nX-Injected: 1',
  '*',
  '13912345678',
  '440103199001011234',
  'person',
  'company',
  'original',
  'copy',
  'satisfied',
  'ems',
];

/** A hostile string: a known nasty one, random unicode, control characters, or a huge run. */
export function nastyString(r: Rand, maxLen = 1024): string {
  switch (r.int(6)) {
    case 0:
      return r.pick(NASTY);
    case 1: {
      // Random code points across the planes, surrogates included.
      let s = '';
      for (let i = sizeOf(r, 64); i > 0; i--) s += String.fromCharCode(r.int(0x10000));
      return s;
    }
    case 2: {
      let s = '';
      for (let i = sizeOf(r, 64); i > 0; i--) s += String.fromCharCode(r.int(32));
      return s;
    }
    case 3:
      return r.pick(['x', '汉', '🀄', '0', ' ']).repeat(r.int(maxLen) + 1);
    case 4:
      return r.pick(NASTY) + r.pick(NASTY);
    default: {
      let s = '';
      for (let i = sizeOf(r, 64); i > 0; i--) s += String.fromCharCode(32 + r.int(95));
      return s;
    }
  }
}

/** A JSON value of any type, sometimes deeply nested. */
export function randomJson(r: Rand, depth = 0): unknown {
  const roll = r.int(depth > 3 ? 6 : 9);
  switch (roll) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, 1, 1.5, -0, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MIN_VALUE, r.int(1000)]);
    case 3:
    case 4:
    case 5:
      return nastyString(r, 512);
    case 6:
      return Array.from({ length: r.int(4) }, () => randomJson(r, depth + 1));
    case 7: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(4); i > 0; i--) o[nastyString(r, 32)] = randomJson(r, depth + 1);
      return o;
    }
    default:
      return deepNesting(r);
  }
}

/**
 * An array or object nested up to `maxDepth` deep, as a value (kept shallow enough for the
 * recursive JSON.stringify and structuredClone of this test process; deeper nesting is built as
 * text by deepNestingText).
 */
export function deepNesting(r: Rand, maxDepth = 200): unknown {
  const n = 1 + r.int(maxDepth);
  let v: unknown = r.chance(0.5) ? 1 : 'x';
  const asArray = r.chance(0.5);
  for (let i = 0; i < n; i++) v = asArray ? [v] : { a: v };
  return v;
}

/** JSON text nested n deep, built as text (n may be far beyond what JSON.stringify could build). */
export function deepNestingText(r: Rand, maxDepth: number): string {
  const n = 1 + r.int(maxDepth);
  return r.chance(0.5) ? `${'['.repeat(n)}1${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Paths to every node of a JSON value (the root is []). */
function pathsOf(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (at.length >= 40) return out; // the nodes below are reachable by replacing this one
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, [...at, k], out);
  return out;
}

function getAt(v: unknown, path: (string | number)[]): unknown {
  let cur = v;
  for (const p of path) cur = (cur as Record<string | number, unknown>)[p];
  return cur;
}

/**
 * One structure-aware change to a copy of `value`: a node replaced by a value of another type, a
 * key removed or added, an array emptied or repeated, a string made hostile. The root may be
 * replaced too.
 */
export function mutateJson(r: Rand, value: unknown): unknown {
  const copy = structuredClone(value) as Json;
  const paths = pathsOf(copy);
  const path = r.pick(paths);
  const node = getAt(copy, path);
  const replace = (v: unknown): unknown => {
    if (path.length === 0) return v;
    const parent = getAt(copy, path.slice(0, -1)) as Record<string | number, unknown>;
    parent[path[path.length - 1]!] = v;
    return copy;
  };
  const remove = (): unknown => {
    if (path.length === 0) return undefined;
    const parent = getAt(copy, path.slice(0, -1)) as Record<string | number, unknown> | unknown[];
    const key = path[path.length - 1]!;
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
    return copy;
  };
  switch (r.int(8)) {
    case 0:
      return replace(randomJson(r));
    case 1:
      return remove();
    case 2:
      if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
        (node as Record<string, unknown>)[nastyString(r, 64)] = randomJson(r);
        return copy;
      }
      return replace(randomJson(r));
    case 3:
      return replace(typeof node === 'string' ? nastyString(r) : String(node));
    case 4:
      return replace(Array.isArray(node) ? [] : [node]);
    case 5:
      return replace(Array.isArray(node) ? Array.from({ length: 2 + r.int(50) }, () => node[0]) : { value: node });
    case 6:
      return replace(typeof node === 'number' ? r.pick([-node, node + 0.5, node * 1e6, 0]) : r.pick([0, -1, 1.5, true, null]));
    default:
      return replace(deepNesting(r, 64));
  }
}

/** Byte-level damage: flips, overwrites, truncation, insertion, duplication of a slice. */
export function mutateBytes(r: Rand, input: Buffer): Buffer {
  let b = Buffer.from(input);
  for (let n = 1 + r.int(4); n > 0; n--) {
    const at = b.length === 0 ? 0 : r.int(b.length);
    switch (r.int(6)) {
      case 0:
        if (b.length > 0) b[at] = b[at]! ^ (1 << r.int(8));
        break;
      case 1:
        if (b.length > 0) b[at] = r.pick([0x00, 0xff, 0x7f, 0x80, r.int(256)]);
        break;
      case 2:
        b = b.subarray(0, at);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), r.bytes(1 + r.int(16)), b.subarray(at)]);
        break;
      case 4: {
        const end = at + r.int(Math.max(1, b.length - at));
        b = Buffer.concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)]);
        break;
      }
      default:
        b = b.subarray(at);
        break;
    }
  }
  return b;
}

/** Text damage on JSON text: a character dropped, doubled or replaced, or the text cut short. */
export function mutateText(r: Rand, text: string): string {
  if (text.length === 0) return r.pick(['{', '"', '[', 'nul']);
  const at = r.int(text.length);
  switch (r.int(5)) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + text[at] + text.slice(at);
    case 2:
      return text.slice(0, at) + r.pick(['{', '}', '[', ']', '"', ',', ':', '\\', '\u0000', 'e', '-', 'ü']) + text.slice(at + 1);
    case 3:
      return text.slice(0, at);
    default:
      return `${text}${r.pick([',', '}', ']', ' garbage', '\u0000'])}`;
  }
}
