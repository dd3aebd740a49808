/**
 * The engine's multiplexed stream (no TTY): frames of `[stream, 0, 0, 0, size (uint32 BE)]`
 * followed by `size` bytes; 1 is stdout, 2 stderr. Fed chunks as they come, it yields whole
 * frames; a frame larger than `maxFrameBytes` is cut (its rest skipped), so a hostile or broken
 * stream cannot make it hold unbounded memory.
 */
export interface Frame {
  stream: "stdout" | "stderr";
  payload: Buffer;
}

export class Demuxer {
  private buffer: Buffer = Buffer.alloc(0);
  private skip = 0;

  constructor(private readonly maxFrameBytes = 1024 * 1024) {}

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let buf = this.buffer.length > 0 ? Buffer.concat([this.buffer, chunk]) : chunk;
    if (this.skip > 0) {
      const n = Math.min(this.skip, buf.length);
      this.skip -= n;
      buf = buf.subarray(n);
    }
    let pos = 0;
    while (buf.length - pos >= 8) {
      const type = buf[pos];
      const size = buf.readUInt32BE(pos + 4);
      const stream = type === 2 ? "stderr" : "stdout";
      if (size > this.maxFrameBytes) {
        if (buf.length - pos - 8 < this.maxFrameBytes) break; // wait for the part that is kept
        frames.push({ stream, payload: Buffer.from(buf.subarray(pos + 8, pos + 8 + this.maxFrameBytes)) });
        const end = pos + 8 + size;
        if (end > buf.length) {
          this.skip = end - buf.length;
          pos = buf.length;
        } else {
          pos = end;
        }
        continue;
      }
      if (buf.length - pos - 8 < size) break;
      frames.push({ stream, payload: buf.subarray(pos + 8, pos + 8 + size) });
      pos += 8 + size;
    }
    this.buffer = pos >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
    return frames;
  }
}
