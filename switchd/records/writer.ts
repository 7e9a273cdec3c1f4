/**
 * Writes a stream of records (docs/records.md): a header, then records of
 * the layouts in layout.generated.ts. Integers are little-endian and
 * addresses in network order, whatever the host.
 *
 * ```ts
 * const w = new RecordWriter();
 * const at = w.begin(UNLINK.KIND, UNLINK.SIZE);
 * w.u32(at + UNLINK.xid, 7);
 * const stream = w.finish(); // valid until the next begin or reset
 * ```
 *
 * @module
 */

import { HEADER, RECORD, STREAM } from "./layout.generated.ts";

const LE = true;
const TEXT = new TextEncoder();

/** The largest record: its length is a u16. */
export const RECORD_MAX = 0xffff;

/** A record longer than {@link RECORD_MAX}. */
export class RecordTooLong extends Error {
  constructor(readonly kind: number, readonly length: number) {
    super(
      `a record of kind ${kind} would be ${length} bytes, above ${RECORD_MAX}`,
    );
    this.name = "RecordTooLong";
  }
}

/** A place in a stream being written ({@link RecordWriter.mark}). */
export interface WriterMark {
  readonly at: number;
  readonly count: number;
}

/** A stream being written; reusable after {@link finish} with {@link reset}. */
export class RecordWriter {
  #buf: Uint8Array<ArrayBuffer>;
  #view: DataView<ArrayBuffer>;
  #at: number = STREAM.SIZE;
  #count = 0;
  /** where the open record starts; -1 when none is open */
  #open = -1;

  constructor(capacity = 4096) {
    this.#buf = new Uint8Array(Math.max(capacity, STREAM.SIZE));
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Records written since the last reset. */
  get count(): number {
    return this.#count;
  }

  /** Bytes written, header included. */
  get length(): number {
    return this.#at;
  }

  /** The buffer's view, for writers of hot paths (see {@link begin}). */
  get view(): DataView<ArrayBuffer> {
    return this.#view;
  }

  /** Starts over; the buffer is kept. */
  reset(): void {
    this.#at = STREAM.SIZE;
    this.#count = 0;
    this.#open = -1;
  }

  /** Where the stream ends now, for {@link rewind}. */
  mark(): WriterMark {
    this.#close();
    return { at: this.#at, count: this.#count };
  }

  /**
   * Takes back every record written since `mark` was taken (a batch that
   * could not be written whole, say); the records before it stay.
   */
  rewind(mark: WriterMark): void {
    if (mark.at > this.#at || mark.count > this.#count) {
      throw new RangeError("a mark past the end of the stream");
    }
    this.#at = mark.at;
    this.#count = mark.count;
    this.#open = -1;
  }

  /**
   * Starts a record of `kind` with a fixed part of `size` bytes (header
   * included, zeroed) and returns its offset in {@link view}, to which the
   * layout's field offsets add.
   */
  begin(kind: number, size: number): number {
    this.#close();
    const at = this.#reserve(size);
    this.#buf.fill(0, at, at + size);
    this.#view.setUint16(at + HEADER.kind, kind, LE);
    this.#open = at;
    this.#count++;
    return at;
  }

  /**
   * Appends `n` zeroed bytes to the open record (an array's elements) and
   * returns their offset.
   */
  extend(n: number): number {
    const at = this.#reserve(n);
    this.#buf.fill(0, at, at + n);
    return at;
  }

  u8(at: number, v: number): void {
    this.#view.setUint8(at, v);
  }

  u16(at: number, v: number): void {
    this.#view.setUint16(at, v, LE);
  }

  u32(at: number, v: number): void {
    this.#view.setUint32(at, v, LE);
  }

  u64(at: number, v: bigint): void {
    this.#view.setBigUint64(at, v, LE);
  }

  /** An IPv4 address as the codec holds it (10.0.0.1 is 0x0a000001). */
  ip4(at: number, a: number): void {
    this.#view.setUint32(at, a, false);
  }

  /** An IPv6 address as the codec holds it (a u128). */
  ip6(at: number, a: bigint): void {
    if (a === 0n) return; // zeroed already: the common gateway "none"
    this.#view.setBigUint64(at, BigInt.asUintN(64, a >> 64n), false);
    this.#view.setBigUint64(at + 8, BigInt.asUintN(64, a), false);
  }

  /** A MAC address as the codec holds it (a 48-bit number). */
  mac(at: number, m: number): void {
    this.#view.setUint16(at, Math.floor(m / 0x1_0000_0000), false);
    this.#view.setUint32(at + 2, m >>> 0, false);
  }

  /**
   * A name of at most `size` bytes (`size` - 1 for a NUL-padded field);
   * returns the bytes written.
   */
  text(at: number, s: string, size: number): number {
    const r = TEXT.encodeInto(s, this.#buf.subarray(at, at + size));
    return r.written;
  }

  /**
   * The stream: a view of the writer's buffer, valid until the next
   * {@link begin} or {@link reset}. Throws {@link RecordTooLong}.
   */
  finish(): Uint8Array<ArrayBuffer> {
    this.#close();
    const v = this.#view;
    v.setUint32(STREAM.magic, RECORD.MAGIC, LE);
    v.setUint16(STREAM.version, RECORD.VERSION, LE);
    v.setUint16(STREAM.flags, 0, LE);
    v.setUint32(STREAM.length, this.#at, LE);
    v.setUint32(STREAM.count, this.#count, LE);
    return this.#buf.subarray(0, this.#at);
  }

  #close(): void {
    if (this.#open < 0) return;
    const n = this.#at - this.#open;
    if (n > RECORD_MAX) {
      const kind = this.#view.getUint16(this.#open + HEADER.kind, LE);
      // Take the record back out: the stream stays usable.
      this.#at = this.#open;
      this.#count--;
      this.#open = -1;
      throw new RecordTooLong(kind, n);
    }
    this.#view.setUint16(this.#open + HEADER.length, n, LE);
    this.#open = -1;
  }

  #reserve(n: number): number {
    const at = this.#at;
    if (at + n > this.#buf.length) {
      const grown = new Uint8Array(Math.max(this.#buf.length * 2, at + n));
      grown.set(this.#buf.subarray(0, at));
      this.#buf = grown;
      this.#view = new DataView(grown.buffer);
    }
    this.#at = at + n;
    return at;
  }
}
