/**
 * Routes of one family in one namespace as columns of typed arrays: a
 * row per route (table, prefix, length, TOS, type, and the id of its
 * next-hop set), found by an open-addressing hash of (table, prefix,
 * length). A route costs about 25 bytes (IPv4) or 40 (IPv6), against
 * some 300 as an object in a Map, and the garbage collector has nothing
 * to trace: a full Internet table stays in a few tens of MB.
 *
 * Prefixes are 32-bit words, most significant first: one for IPv4, four
 * for IPv6. Callers pass them in a scratch Uint32Array so that no array
 * is made per route.
 *
 * Rows are dense: removing one moves the last row into its place, so
 * the order of rows is the order of insertion until a removal.
 *
 * @module
 */

/**
 * Seeds the hash per process, so that prefixes chosen to collide (a BGP
 * peer's, say) cannot be chosen in advance.
 */
const SEED = crypto.getRandomValues(new Uint32Array(1))[0];

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The columns' initial rows. */
const START = 16;

export class RouteTable {
  /** 32-bit words per prefix: 1 (IPv4) or 4 (IPv6) */
  readonly words: number;
  #n = 0;
  #cap = 0;
  #addr = new Uint32Array(0);
  #table = new Uint32Array(0);
  #hop = new Int32Array(0);
  #plen = new Uint8Array(0);
  #tos = new Uint8Array(0);
  #type = new Uint8Array(0);
  /** row + 1 per slot, 0 when free; a power of two, at most half full */
  #slots = new Int32Array(START * 2);
  #mask = START * 2 - 1;

  constructor(words: 1 | 4) {
    this.words = words;
    this.#resize(START);
  }

  /** Routes held. */
  get size(): number {
    return this.#n;
  }

  /** Bytes of the arrays: what this table costs. */
  get bytes(): number {
    return this.#cap * (4 * this.words + 4 + 4 + 3) + this.#slots.byteLength;
  }

  /** The row of (`table`, `key`, `plen`), or -1. */
  find(table: number, key: Uint32Array, plen: number): number {
    const slots = this.#slots, mask = this.#mask;
    for (let i = this.#hash(table, key, plen) & mask;; i = (i + 1) & mask) {
      const s = slots[i];
      if (s === 0) return -1;
      if (this.#is(s - 1, table, key, plen)) return s - 1;
    }
  }

  /**
   * Adds a row for (`table`, `key`, `plen`), which must not be held yet,
   * and returns it; its other columns are zero until set.
   */
  add(table: number, key: Uint32Array, plen: number): number {
    if (this.#n === this.#cap) this.#resize(this.#cap * 2);
    if ((this.#n + 1) * 2 > this.#slots.length) {
      this.#rehash(this.#slots.length * 2);
    }
    const r = this.#n++;
    const w = this.words;
    for (let k = 0; k < w; k++) this.#addr[r * w + k] = key[k];
    this.#table[r] = table;
    this.#plen[r] = plen;
    this.#tos[r] = 0;
    this.#type[r] = 0;
    this.#hop[r] = -1;
    this.#place(r);
    return r;
  }

  /** Removes row `r`; the last row takes its place. */
  remove(r: number): void {
    const slots = this.#slots, mask = this.#mask;
    let i = this.#slotOf(r);
    // Backward shift: entries after the hole that may move into it do,
    // so that every probe sequence stays unbroken.
    slots[i] = 0;
    for (let j = (i + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const k = this.#hashRow(slots[j] - 1) & mask;
      const stays = i <= j ? i < k && k <= j : i < k || k <= j;
      if (stays) continue;
      slots[i] = slots[j];
      slots[j] = 0;
      i = j;
    }
    const last = --this.#n;
    if (r !== last) {
      slots[this.#slotOf(last)] = r + 1;
      const w = this.words;
      this.#addr.copyWithin(r * w, last * w, last * w + w);
      this.#table[r] = this.#table[last];
      this.#plen[r] = this.#plen[last];
      this.#tos[r] = this.#tos[last];
      this.#type[r] = this.#type[last];
      this.#hop[r] = this.#hop[last];
    }
    // Shrink when a quarter is used (a namespace's routes went), not at
    // half, so that a route added and removed at the edge does not copy.
    if (this.#cap > START && this.#n * 4 < this.#cap) {
      this.#resize(this.#cap >> 1);
    }
    if (this.#slots.length > START * 2 && this.#n * 8 < this.#slots.length) {
      this.#rehash(this.#slots.length >> 1);
    }
  }

  /** Word `k` of row `r`'s prefix. */
  word(r: number, k: number): number {
    return this.#addr[r * this.words + k];
  }

  /** Copies row `r`'s prefix into `key`. */
  key(r: number, key: Uint32Array): void {
    const w = this.words;
    for (let k = 0; k < w; k++) key[k] = this.#addr[r * w + k];
  }

  table(r: number): number {
    return this.#table[r];
  }

  plen(r: number): number {
    return this.#plen[r];
  }

  tos(r: number): number {
    return this.#tos[r];
  }

  type(r: number): number {
    return this.#type[r];
  }

  hop(r: number): number {
    return this.#hop[r];
  }

  set(r: number, tos: number, type: number, hop: number): void {
    this.#tos[r] = tos;
    this.#type[r] = type;
    this.#hop[r] = hop;
  }

  #is(r: number, table: number, key: Uint32Array, plen: number): boolean {
    if (this.#table[r] !== table || this.#plen[r] !== plen) return false;
    const w = this.words, at = r * w;
    for (let k = 0; k < w; k++) {
      if (this.#addr[at + k] !== key[k]) return false;
    }
    return true;
  }

  #hash(table: number, key: Uint32Array, plen: number): number {
    let h = Math.imul(SEED ^ plen, 0x9e3779b1) ^ table;
    for (let k = 0; k < this.words; k++) {
      h = Math.imul(h ^ key[k], 0xcc9e2d51);
      h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    }
    return fmix(h);
  }

  #hashRow(r: number): number {
    let h = Math.imul(SEED ^ this.#plen[r], 0x9e3779b1) ^ this.#table[r];
    const w = this.words, at = r * w;
    for (let k = 0; k < w; k++) {
      h = Math.imul(h ^ this.#addr[at + k], 0xcc9e2d51);
      h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    }
    return fmix(h);
  }

  #slotOf(r: number): number {
    const slots = this.#slots, mask = this.#mask;
    for (let i = this.#hashRow(r) & mask;; i = (i + 1) & mask) {
      if (slots[i] === r + 1) return i;
    }
  }

  #place(r: number): void {
    const slots = this.#slots, mask = this.#mask;
    let i = this.#hashRow(r) & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = r + 1;
  }

  #rehash(size: number): void {
    this.#slots = new Int32Array(size);
    this.#mask = size - 1;
    for (let r = 0; r < this.#n; r++) this.#place(r);
  }

  #resize(cap: number): void {
    const grow = <T extends Uint8Array | Uint32Array | Int32Array>(
      a: T,
      make: (n: number) => T,
      per: number,
    ): T => {
      const b = make(cap * per);
      b.set(a.subarray(0, Math.min(a.length, cap * per)));
      return b;
    };
    this.#addr = grow(this.#addr, (n) => new Uint32Array(n), this.words);
    this.#table = grow(this.#table, (n) => new Uint32Array(n), 1);
    this.#hop = grow(this.#hop, (n) => new Int32Array(n), 1);
    this.#plen = grow(this.#plen, (n) => new Uint8Array(n), 1);
    this.#tos = grow(this.#tos, (n) => new Uint8Array(n), 1);
    this.#type = grow(this.#type, (n) => new Uint8Array(n), 1);
    this.#cap = cap;
  }
}
