/**
 * Routes of one family in one namespace as rows of a typed array: a row
 * per route (prefix, table, length, TOS, type, and the id of its next-hop
 * set), found through an open-addressing hash of (table, prefix, length).
 * A route costs some 30 bytes (IPv4) or 45 (IPv6) with the hash's slack,
 * against some 300 as an object in a Map, and the garbage collector has
 * nothing to trace: a full Internet table stays in a few tens of MB.
 *
 * A row's fields sit together, and each hash slot holds its row's hash
 * next to the row's number, so that a lookup in a table of a million
 * touches two cache lines: the slots it probes, and the row it finds.
 *
 * Prefixes are 32-bit words, most significant first: one for IPv4, four
 * for IPv6. Callers pass them in a scratch Uint32Array so that no array
 * is made per route.
 *
 * Rows are dense: removing one moves the last row into its place, so
 * the order of rows is the order of insertion until a removal.
 *
 * With the fib-offload extension each route also has the kernel's cookie
 * for its latest version (a u64, which the FIB_OFFLOAD result must echo):
 * 8 more bytes a route, in an array of their own that exists only once a
 * cookie is set, so that a mirror without the extension costs no more.
 *
 * @module
 */

/**
 * Seeds the hash per process, so that prefixes chosen to collide (a BGP
 * peer's, say) cannot be chosen in advance.
 */
const SEED = crypto.getRandomValues(new Uint32Array(1))[0];

/** Rows the table starts with. */
const START = 16;

/** A row's fields after its prefix words. */
const TABLE = 0, META = 1, HOP = 2, FIELDS = 3;

export class RouteTable {
  /** 32-bit words per prefix: 1 (IPv4) or 4 (IPv6) */
  readonly words: number;
  /** u32s per row: the prefix words, then TABLE, META, HOP */
  readonly #stride: number;
  #n = 0;
  #cap = START;
  /** META is plen | tos << 8 | type << 16; HOP an id, or -1 as u32 */
  #rows: Uint32Array;
  /**
   * Pairs (row + 1, hash) per slot, row 0 when free; a power of two of
   * pairs, at most half of them used.
   */
  #slots = new Int32Array(START * 4);
  #mask = START * 2 - 1;
  /** Two words per row, low then high: the cookie; 0 for none. */
  #cookies: Uint32Array | undefined;

  constructor(words: 1 | 4) {
    this.words = words;
    this.#stride = words + FIELDS;
    this.#rows = new Uint32Array(START * this.#stride);
  }

  /** Routes held. */
  get size(): number {
    return this.#n;
  }

  /** Bytes of the arrays: what this table costs. */
  get bytes(): number {
    return this.#rows.byteLength + this.#slots.byteLength +
      (this.#cookies?.byteLength ?? 0);
  }

  /** The row of (`table`, `key`, `plen`), or -1. */
  find(table: number, key: Uint32Array, plen: number): number {
    const h = this.#hash(table, key, plen);
    const slots = this.#slots, mask = this.#mask, rows = this.#rows;
    const stride = this.#stride, w = this.words;
    for (let i = h & mask;; i = (i + 1) & mask) {
      const s = slots[2 * i];
      if (s === 0) return -1;
      if (slots[2 * i + 1] !== h) continue;
      const at = (s - 1) * stride;
      if (rows[at + w + TABLE] !== table) continue;
      if ((rows[at + w + META] & 0xff) !== plen) continue;
      let k = 0;
      while (k < w && rows[at + k] === key[k]) k++;
      if (k === w) return s - 1;
    }
  }

  /**
   * Adds a row for (`table`, `key`, `plen`), which must not be held yet,
   * and returns it; its TOS and type are 0 and its next-hop set -1 until
   * {@link set}.
   */
  add(table: number, key: Uint32Array, plen: number): number {
    if (this.#n === this.#cap) this.#resize(this.#cap * 2);
    if ((this.#n + 1) * 2 > this.#mask + 1) this.#rehash((this.#mask + 1) * 2);
    const r = this.#n++;
    const w = this.words, at = r * this.#stride, rows = this.#rows;
    for (let k = 0; k < w; k++) rows[at + k] = key[k];
    rows[at + w + TABLE] = table;
    rows[at + w + META] = plen & 0xff;
    rows[at + w + HOP] = -1 >>> 0;
    if (this.#cookies) this.#cookies[2 * r] = this.#cookies[2 * r + 1] = 0;
    this.#place(r, this.#hash(table, key, plen));
    return r;
  }

  /** Removes row `r`; the last row takes its place. */
  remove(r: number): void {
    const slots = this.#slots, mask = this.#mask;
    let i = this.#slotOf(r);
    // Backward shift: entries after the hole that may move into it do,
    // so that every probe sequence stays unbroken.
    slots[2 * i] = 0;
    for (let j = (i + 1) & mask; slots[2 * j] !== 0; j = (j + 1) & mask) {
      const k = slots[2 * j + 1] & mask;
      const stays = i <= j ? i < k && k <= j : i < k || k <= j;
      if (stays) continue;
      slots[2 * i] = slots[2 * j];
      slots[2 * i + 1] = slots[2 * j + 1];
      slots[2 * j] = 0;
      i = j;
    }
    const last = --this.#n;
    if (r !== last) {
      slots[2 * this.#slotOf(last)] = r + 1;
      const s = this.#stride;
      this.#rows.copyWithin(r * s, last * s, last * s + s);
      this.#cookies?.copyWithin(2 * r, 2 * last, 2 * last + 2);
    }
    // Shrink when a quarter is used (a namespace's routes went), not at
    // half, so that a route added and removed at the edge does not copy.
    if (this.#cap > START && this.#n * 4 < this.#cap) {
      this.#resize(this.#cap >> 1);
    }
    if (this.#mask + 1 > START * 2 && this.#n * 8 < this.#mask + 1) {
      this.#rehash((this.#mask + 1) >> 1);
    }
  }

  /** Word `k` of row `r`'s prefix. */
  word(r: number, k: number): number {
    return this.#rows[r * this.#stride + k];
  }

  /** Copies row `r`'s prefix into `key`. */
  key(r: number, key: Uint32Array): void {
    const w = this.words, at = r * this.#stride;
    for (let k = 0; k < w; k++) key[k] = this.#rows[at + k];
  }

  table(r: number): number {
    return this.#rows[r * this.#stride + this.words + TABLE];
  }

  plen(r: number): number {
    return this.#rows[r * this.#stride + this.words + META] & 0xff;
  }

  tos(r: number): number {
    return (this.#rows[r * this.#stride + this.words + META] >>> 8) & 0xff;
  }

  type(r: number): number {
    return (this.#rows[r * this.#stride + this.words + META] >>> 16) & 0xff;
  }

  /** The row's next-hop set; -1 before {@link set}. */
  hop(r: number): number {
    return this.#rows[r * this.#stride + this.words + HOP] | 0;
  }

  set(r: number, tos: number, type: number, hop: number): void {
    const at = r * this.#stride + this.words;
    const meta = this.#rows[at + META];
    this.#rows[at + META] = (meta & 0xff) | (tos & 0xff) << 8 |
      (type & 0xff) << 16;
    this.#rows[at + HOP] = hop >>> 0;
  }

  /** Row `r`'s cookie; 0n when none was set. */
  cookie(r: number): bigint {
    const c = this.#cookies;
    if (!c) return 0n;
    return BigInt(c[2 * r + 1]) << 32n | BigInt(c[2 * r]);
  }

  /** Sets row `r`'s cookie (0n: none). */
  setCookie(r: number, cookie: bigint): void {
    if (!this.#cookies) {
      if (cookie === 0n) return;
      this.#cookies = new Uint32Array(this.#cap * 2);
    }
    this.#cookies[2 * r] = Number(cookie & 0xffff_ffffn);
    this.#cookies[2 * r + 1] = Number((cookie >> 32n) & 0xffff_ffffn);
  }

  #hash(table: number, key: Uint32Array, plen: number): number {
    let h = Math.imul(SEED ^ plen, 0x9e3779b1) ^ table;
    for (let k = 0; k < this.words; k++) {
      h = Math.imul(h ^ key[k], 0xcc9e2d51);
      h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  #hashRow(r: number): number {
    const w = this.words, at = r * this.#stride, rows = this.#rows;
    const key = rows.subarray(at, at + w);
    return this.#hash(rows[at + w + TABLE], key, rows[at + w + META] & 0xff);
  }

  #slotOf(r: number): number {
    const slots = this.#slots, mask = this.#mask;
    for (let i = this.#hashRow(r) & mask;; i = (i + 1) & mask) {
      if (slots[2 * i] === r + 1) return i;
    }
  }

  #place(r: number, h: number): void {
    const slots = this.#slots, mask = this.#mask;
    let i = h & mask;
    while (slots[2 * i] !== 0) i = (i + 1) & mask;
    slots[2 * i] = r + 1;
    slots[2 * i + 1] = h;
  }

  #rehash(pairs: number): void {
    const old = this.#slots;
    this.#slots = new Int32Array(pairs * 2);
    this.#mask = pairs - 1;
    // The hashes are kept: no row is read to move it.
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0) this.#place(old[i] - 1, old[i + 1]);
    }
  }

  #resize(cap: number): void {
    const rows = new Uint32Array(cap * this.#stride);
    rows.set(this.#rows.subarray(0, Math.min(this.#n, cap) * this.#stride));
    this.#rows = rows;
    if (this.#cookies) {
      const c = new Uint32Array(cap * 2);
      c.set(this.#cookies.subarray(0, Math.min(this.#n, cap) * 2));
      this.#cookies = c;
    }
    this.#cap = cap;
  }
}
