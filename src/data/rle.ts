/**
 * Parquet's RLE / bit-packed hybrid encoding (definition levels and dictionary indexes), decoded into a reusable
 * Int32Array. hyparquet decodes it into a fresh JS array per page; on a 2,748-column file that is two arrays per
 * column, which showed up as a large share of the read time in garbage collection. The format is the one in the
 * parquet spec (Encodings.md, "Run Length Encoding / Bit-Packing Hybrid").
 */

/** Widest bit width decoded here: the 32-bit accumulator below needs width + 7 ≤ 31. */
export const MAX_HYBRID_BIT_WIDTH = 24;

/**
 * Decodes `count` values of width `bitWidth` from bytes[start, end) into out[0, count). Returns the position
 * after the last byte read. Throws when the data ends before `count` values.
 */
export function readHybrid(bytes: Uint8Array, start: number, end: number, bitWidth: number, count: number, out: Int32Array): number {
  if (bitWidth < 0 || bitWidth > MAX_HYBRID_BIT_WIDTH) throw new Error(`unsupported bit width ${bitWidth}`);
  if (bitWidth === 0) {
    out.fill(0, 0, count);
    return start;
  }
  const mask = (1 << bitWidth) - 1;
  const byteWidth = (bitWidth + 7) >> 3;
  let pos = start;
  let seen = 0;
  while (seen < count) {
    if (pos >= end) throw new Error(`run-length data ends after ${seen} of ${count} values`);
    let header = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[pos++];
      header |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && shift < 35);
    header >>>= 0;
    if (header & 1) {
      // Bit-packed: (header >> 1) groups of 8 values, least significant bits first; the run spans
      // groups × bitWidth bytes whether or not all its values are needed.
      const groups = header >>> 1;
      const runEnd = pos + groups * bitWidth;
      if (runEnd > end) throw new Error('a bit-packed run goes past the end of its data');
      const stop = Math.min(count, seen + groups * 8);
      if (bitWidth <= 4) {
        // Narrow widths (definition levels; dictionaries of ≤ 16 entries, like Numerai's 5 bins): a group of 8
        // values is at most 4 bytes, one 32-bit word.
        while (seen + 8 <= stop) {
          let word = 0;
          for (let b = 0; b < bitWidth; b++) word |= bytes[pos++] << (8 * b);
          for (let v = 0; v < 8; v++) out[seen + v] = (word >>> (v * bitWidth)) & mask;
          seen += 8;
        }
      }
      let buffer = 0;
      let bits = 0;
      while (seen < stop) {
        while (bits < bitWidth) {
          buffer |= bytes[pos++] << bits;
          bits += 8;
        }
        out[seen++] = buffer & mask;
        buffer >>>= bitWidth;
        bits -= bitWidth;
      }
      pos = runEnd;
    } else {
      const run = header >>> 1;
      if (pos + byteWidth > end) throw new Error('a run-length run goes past the end of its data');
      let value = 0;
      for (let i = 0; i < byteWidth; i++) value |= bytes[pos++] << (8 * i);
      const stop = Math.min(count, seen + run);
      out.fill(value & mask, seen, stop);
      seen = stop;
    }
  }
  return pos;
}
