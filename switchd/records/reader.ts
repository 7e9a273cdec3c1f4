/**
 * Reads a stream of records (docs/records.md): {@link records} checks the
 * header and walks the records, {@link decodeRecord} turns any record
 * into a plain object by its layout (layout.generated.ts), and
 * {@link streamSlice} cuts records out of a stream, for a sender that
 * resends what followed one the SWITCH refused.
 *
 * @module
 */

import { HEADER, KIND, LAYOUTS, RECORD, STREAM } from "./layout.generated.ts";

const LE = true;
const TEXT = new TextDecoder();

/** A stream or record that cannot be read; says where and why. */
export class RecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RecordError";
  }
}

/** One record of a stream: a view of its bytes and where it is. */
export interface RecordView {
  kind: number;
  /** 0-based place in the stream */
  index: number;
  /** its first byte in `view` */
  offset: number;
  /** its bytes, header included */
  length: number;
  view: DataView;
}

type LayoutName = keyof typeof LAYOUTS;

/** Layout names by kind: the records (kind 0 are parts of records). */
const BY_KIND = new Map<number, LayoutName>(
  (Object.entries(LAYOUTS) as [LayoutName, { kind: number }][])
    .filter(([, l]) => l.kind !== 0)
    .map(([name, l]) => [l.kind, name]),
);

/** The name of a record kind, or `kind N` for one not in the layout. */
export function kindName(kind: number): string {
  return BY_KIND.get(kind) ?? `kind ${kind}`;
}

function header(stream: Uint8Array): { view: DataView; count: number } {
  if (stream.length < STREAM.SIZE) {
    throw new RecordError(
      `a record stream of ${stream.length} bytes has no room for its ${STREAM.SIZE}-byte header`,
    );
  }
  const view = new DataView(
    stream.buffer,
    stream.byteOffset,
    stream.byteLength,
  );
  const magic = view.getUint32(STREAM.magic, LE);
  if (magic !== RECORD.MAGIC) {
    throw new RecordError(`not a record stream: magic ${magic.toString(16)}`);
  }
  const version = view.getUint16(STREAM.version, LE);
  if (version !== RECORD.VERSION) {
    throw new RecordError(
      `record stream version ${version}; this reads version ${RECORD.VERSION}`,
    );
  }
  const length = view.getUint32(STREAM.length, LE);
  if (length !== stream.length) {
    throw new RecordError(
      `the stream says it is ${length} bytes long, but ${stream.length} were given`,
    );
  }
  return { view, count: view.getUint32(STREAM.count, LE) };
}

/** The records of `stream`, in order; throws {@link RecordError}. */
export function* records(stream: Uint8Array): Generator<RecordView> {
  const { view, count } = header(stream);
  let at = STREAM.SIZE;
  for (let index = 0; index < count; index++) {
    if (stream.length - at < HEADER.SIZE) {
      throw new RecordError(
        `record ${
          index + 1
        }: the stream ends after ${index} of ${count} records`,
      );
    }
    const kind = view.getUint16(at + HEADER.kind, LE);
    const length = view.getUint16(at + HEADER.length, LE);
    if (length < HEADER.SIZE || length > stream.length - at) {
      throw new RecordError(
        `record ${index + 1} (${
          kindName(kind)
        }): length ${length} does not fit the ${stream.length - at} bytes left`,
      );
    }
    yield { kind, index, offset: at, length, view };
    at += length;
  }
  if (at !== stream.length) {
    throw new RecordError(
      `${stream.length - at} bytes follow the last of ${count} records`,
    );
  }
}

/** A field's value by its type: numbers, bigints (u64, ip6), strings. */
export type FieldValue = number | bigint | string;
/** A decoded record: its kind's name, its fields, its arrays. */
export type Decoded = {
  kind: string;
  [field: string]: FieldValue | FieldValue[] | Record<string, FieldValue>[];
};

function field(v: DataView, at: number, type: string): FieldValue {
  switch (type) {
    case "u8":
      return v.getUint8(at);
    case "u16":
      return v.getUint16(at, LE);
    case "u32":
      return v.getUint32(at, LE);
    case "u64":
      return v.getBigUint64(at, LE);
    case "ip4":
      return v.getUint32(at, false);
    case "ip6":
      return (v.getBigUint64(at, false) << 64n) | v.getBigUint64(at + 8, false);
    case "mac":
      return v.getUint16(at, false) * 0x1_0000_0000 +
        v.getUint32(at + 2, false);
    case "name": {
      const raw = new Uint8Array(v.buffer, v.byteOffset + at, 16);
      const end = raw.indexOf(0);
      return TEXT.decode(end < 0 ? raw : raw.subarray(0, end));
    }
  }
  throw new RecordError(`no field type ${type}`);
}

function fields(
  v: DataView,
  at: number,
  name: LayoutName,
): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  const l = LAYOUTS[name];
  for (const [f, { offset, type }] of Object.entries(l.fields)) {
    out[f] = field(v, at + offset, type);
  }
  return out;
}

/**
 * A record as a plain object: `kind` (its name), its fields, and each
 * array as a property: text for an array of chars, the values for an
 * array of one-field elements (uppers, counts), objects otherwise (hops).
 * Throws {@link RecordError} for an unknown kind or a short record.
 */
export function decodeRecord(r: RecordView): Decoded {
  const name = BY_KIND.get(r.kind);
  if (name === undefined) {
    throw new RecordError(`record ${r.index + 1}: unknown ${kindName(r.kind)}`);
  }
  const l = LAYOUTS[name];
  if (r.length < l.size) {
    throw new RecordError(
      `record ${
        r.index + 1
      }: ${name} of ${r.length} bytes, at least ${l.size} expected`,
    );
  }
  const out: Decoded = { kind: name, ...fields(r.view, r.offset, name) };
  let at = r.offset + l.size;
  for (
    const a of l.arrays as readonly {
      name: string;
      count: string;
      elem: LayoutName;
    }[]
  ) {
    const n = out[a.count] as number;
    const elem = LAYOUTS[a.elem];
    if (at + n * elem.size > r.offset + r.length) {
      throw new RecordError(
        `record ${
          r.index + 1
        }: ${name}'s ${n} ${a.name} overrun its ${r.length} bytes`,
      );
    }
    const names = Object.keys(elem.fields);
    if (a.elem === "charElem") {
      out[a.name] = TEXT.decode(
        new Uint8Array(r.view.buffer, r.view.byteOffset + at, n),
      );
    } else if (names.length === 1) {
      const values: FieldValue[] = [];
      for (let i = 0; i < n; i++) {
        values.push(fields(r.view, at + i * elem.size, a.elem)[names[0]]);
      }
      out[a.name] = values;
    } else {
      const values: Record<string, FieldValue>[] = [];
      for (let i = 0; i < n; i++) {
        values.push(fields(r.view, at + i * elem.size, a.elem));
      }
      out[a.name] = values;
    }
    at += n * elem.size;
  }
  return out;
}

/** Every record of `stream`, decoded. */
export function decodeStream(stream: Uint8Array): Decoded[] {
  return [...records(stream)].map(decodeRecord);
}

/**
 * The stream of the records of `stream` from `from` (0-based) up to `to`
 * (not included; default: the last), a copy.
 */
export function streamSlice(
  stream: Uint8Array,
  from: number,
  to?: number,
): Uint8Array<ArrayBuffer> {
  let start = stream.length, end = stream.length, n = 0;
  for (const r of records(stream)) {
    if (r.index === from) start = r.offset;
    if (r.index === to) {
      end = r.offset;
      break;
    }
    if (r.index >= from) n++;
  }
  const out = new Uint8Array(STREAM.SIZE + end - start);
  out.set(stream.subarray(0, STREAM.SIZE));
  out.set(stream.subarray(start, end), STREAM.SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(STREAM.length, out.length, LE);
  v.setUint32(STREAM.count, n, LE);
  return out;
}

/** The kinds, for readers that switch on them. */
export { KIND };
