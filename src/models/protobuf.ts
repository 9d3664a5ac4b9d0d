/**
 * protobuf's wire format, as far as reading ONNX files needs it: varints, 32-bit floats and length-delimited fields
 * (strings, nested messages, packed repeated numbers). Used by onnx-signature.ts (a model's inputs and outputs) and
 * tree-ensemble.ts (a tree ensemble's attributes), which both read a few fields of a file onnxruntime has not seen.
 */

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

/**
 * A field's value: a varint as a number (exact up to 2^53), a fixed32 as the float32 it holds (ONNX's only fixed32
 * fields are floats), a length-delimited field as its bytes. fixed64 fields (doubles) are stepped over.
 */
export type FieldValue = number | Uint8Array;

// fixed32 floats are read through one shared 4-byte buffer: a DataView per value was most of the garbage of reading a
// tree ensemble's attributes (one float per node, written unpacked by the onnx library).
const scratch = new Uint8Array(4);
const scratchFloat = new Float32Array(scratch.buffer);

/** Calls `visit` with each field of the message in `bytes`. Throws where the bytes stop being protobuf. */
export function readMessage(bytes: Uint8Array, visit: (field: number, value: FieldValue) => void): void {
  readFields(bytes, (field, value, end) => visit(field, end < 0 ? value : bytes.subarray(value, end)));
}

/**
 * readMessage without a new view per length-delimited field: such a field comes as its start (`value`) and end in
 * `bytes`; a number comes with end −1. For messages with a field per tree node, where the views were most of the
 * garbage. `visit` returns true to stop reading.
 */
export function readFields(bytes: Uint8Array, visit: (field: number, value: number, end: number) => boolean | void): void {
  const cursor = new Cursor(bytes);
  while (cursor.offset < bytes.length) {
    const at = cursor.offset;
    const key = cursor.varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw new Error(`field number 0 at byte ${at}`);
    let stop: boolean | void = false;
    if (wire === VARINT) stop = visit(field, cursor.varint(), -1);
    else if (wire === FIXED32) {
      const offset = cursor.offset;
      if (offset + 4 > bytes.length) throw new Error(`a float at byte ${at} runs past the end of its message`);
      // Little-endian on the wire; every platform onnxruntime-node ships for is little-endian too.
      scratch[0] = bytes[offset];
      scratch[1] = bytes[offset + 1];
      scratch[2] = bytes[offset + 2];
      scratch[3] = bytes[offset + 3];
      cursor.offset += 4;
      stop = visit(field, scratchFloat[0], -1);
    } else if (wire === FIXED64) cursor.offset += 8;
    else if (wire === BYTES) {
      const length = cursor.varint();
      const start = cursor.offset;
      if (start + length > bytes.length) throw new Error(`a field of ${length} bytes at byte ${at} runs past the end of its message`);
      cursor.offset += length;
      stop = visit(field, start, cursor.offset);
    } else {
      throw new Error(`wire type ${wire} at byte ${at} is not protobuf's`);
    }
    if (cursor.offset > bytes.length) throw new Error(`the last field runs past the end of its message`);
    if (stop === true) return;
  }
}

/** A position in a message, reading varints from it (field keys, numbers, lengths, packed numbers). */
class Cursor {
  offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  varint(): number {
    const bytes = this.bytes;
    // Keys, lengths and a tree's node ids are one to three bytes: those are read with int arithmetic.
    let offset = this.offset;
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (offset >= bytes.length) throw new Error(`a number runs past the end of its message (byte ${offset})`);
      const byte = bytes[offset++];
      value |= (byte & 0x7f) << shift;
      if (!(byte & 0x80)) {
        this.offset = offset;
        return value;
      }
    }
    this.offset = offset;
    return this.longVarint(value);
  }

  /** The rest of a varint longer than four bytes, whose first 28 bits are `low`. */
  private longVarint(low: number): number {
    const bytes = this.bytes;
    let value = low;
    for (let shift = 28; ; shift += 7) {
      if (this.offset >= bytes.length) throw new Error(`a number runs past the end of its message (byte ${this.offset})`);
      if (shift > 63) throw new Error(`a number longer than 10 bytes at byte ${this.offset}`);
      const byte = bytes[this.offset++];
      value += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) return value;
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function text(value: FieldValue): string {
  if (typeof value === 'number') throw new Error('a name is a number, not text');
  return utf8.decode(value);
}

export function message(value: FieldValue): Uint8Array {
  if (typeof value === 'number') throw new Error('a message field holds a number');
  return value;
}

/** Where a packed repeated field's numbers go, one by one (a number[], or a list of the caller's). */
export interface NumberSink {
  push(value: number): void;
}

/** Pushes the numbers of a packed repeated varint field (its bytes) onto `into`. */
export function pushVarints(bytes: Uint8Array, into: NumberSink): void {
  const cursor = new Cursor(bytes);
  while (cursor.offset < bytes.length) into.push(cursor.varint());
}

/** Pushes the numbers of a packed repeated float field (its bytes) onto `into`. */
export function pushFloats(bytes: Uint8Array, into: NumberSink): void {
  if (bytes.length % 4 !== 0) throw new Error(`a packed float field of ${bytes.length} bytes (not a multiple of 4)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let offset = 0; offset < bytes.length; offset += 4) into.push(view.getFloat32(offset, true));
}
