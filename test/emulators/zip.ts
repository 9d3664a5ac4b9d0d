/**
 * Reads a zip archive from memory (the artifact client uploads one zip per artifact). Central directory first, as
 * the format intends, so entries written with data descriptors (streamed archives) read correctly; CRC-32 checked.
 */
import zlib from 'node:zlib';

export interface ZipEntry {
  /** The path inside the archive, "/"-separated. */
  path: string;
  content: Buffer;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_FILE_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;

export function readZip(archive: Buffer): ZipEntry[] {
  const eocd = findEndOfCentralDirectory(archive);
  const count = archive.readUInt16LE(eocd + 10);
  let offset = archive.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (archive.readUInt32LE(offset) !== CENTRAL_FILE_HEADER) throw new Error(`zip: no central header at ${offset}`);
    const method = archive.readUInt16LE(offset + 10);
    const crc = archive.readUInt32LE(offset + 16);
    const compressedSize = archive.readUInt32LE(offset + 20);
    const size = archive.readUInt32LE(offset + 24);
    const nameLength = archive.readUInt16LE(offset + 28);
    const extraLength = archive.readUInt16LE(offset + 30);
    const commentLength = archive.readUInt16LE(offset + 32);
    const localOffset = archive.readUInt32LE(offset + 42);
    const name = archive.subarray(offset + 46, offset + 46 + nameLength).toString('utf8');
    offset += 46 + nameLength + extraLength + commentLength;
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) {
      throw new Error(`zip: ${name} uses zip64 sizes, which this reader does not handle`);
    }
    if (name.endsWith('/')) continue;
    if (archive.readUInt32LE(localOffset) !== LOCAL_FILE_HEADER) throw new Error(`zip: no local header for ${name}`);
    const dataStart = localOffset + 30 + archive.readUInt16LE(localOffset + 26) + archive.readUInt16LE(localOffset + 28);
    const data = archive.subarray(dataStart, dataStart + compressedSize);
    let content: Buffer;
    if (method === 0) content = Buffer.from(data);
    else if (method === 8) content = zlib.inflateRawSync(data);
    else throw new Error(`zip: ${name} uses compression method ${method}; only stored (0) and deflate (8) are read`);
    if (content.length !== size) throw new Error(`zip: ${name} inflated to ${content.length} bytes, expected ${size}`);
    if (zlib.crc32(content) !== crc) throw new Error(`zip: CRC-32 mismatch in ${name}`);
    entries.push({ path: name, content });
  }
  return entries;
}

function findEndOfCentralDirectory(archive: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, so it starts within the last 65557 bytes.
  for (let i = archive.length - 22; i >= Math.max(0, archive.length - 65557); i--) {
    if (archive.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) return i;
  }
  throw new Error('zip: end of central directory not found (not a zip archive?)');
}
