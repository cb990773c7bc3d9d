/**
 * Just enough of RFC 6455 framing for the proxy to end a WebSocket it passes through with a
 * close code: where the frames of a byte stream end (a close frame may only go between two
 * frames, never inside one), and the bytes of a close frame. Payloads are never read.
 */
import { randomBytes } from 'node:crypto';

/** Follows frame boundaries of one direction of a WebSocket byte stream. */
export interface FrameBoundaries {
  /** True between two frames (also before the first). */
  readonly atBoundary: boolean;
  /** Takes in a chunk that passed through. */
  feed(chunk: Buffer): void;
  /**
   * How many bytes of `chunk` finish the frame under way; the rest of the chunk is the next
   * frame's. -1 when the whole chunk still belongs to it. Takes them in like {@link feed}.
   */
  untilBoundary(chunk: Buffer): number;
}

/** Length of a frame header from its first bytes, undefined while too few have arrived. */
function headerLength(b: Buffer): number | undefined {
  if (b.length < 2) return undefined;
  const len7 = (b[1] as number) & 0x7f;
  const mask = (b[1] as number) & 0x80 ? 4 : 0;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + mask;
}

/** Payload length of a complete header. */
function payloadLength(b: Buffer): number {
  const len7 = (b[1] as number) & 0x7f;
  if (len7 === 126) return b.readUInt16BE(2);
  // 2^53 bytes is more than any stream will carry; Number keeps the arithmetic simple.
  if (len7 === 127) return Number(b.readBigUInt64BE(2));
  return len7;
}

export function frameBoundaries(): FrameBoundaries {
  /** Payload bytes of the current frame still to come. */
  let left = 0;
  /** A header split over chunks: its first bytes. */
  let partial: Buffer | undefined;

  /** Consumes `chunk`; with `stop`, returns the offset of the first boundary reached, else -1. */
  function consume(chunk: Buffer, stop: boolean): number {
    let i = 0;
    while (i < chunk.length) {
      if (left > 0) {
        const take = Math.min(left, chunk.length - i);
        left -= take;
        i += take;
        if (left === 0 && stop) return i;
        continue;
      }
      const head = partial ? Buffer.concat([partial, chunk.subarray(i)]) : chunk.subarray(i);
      const need = headerLength(head);
      if (need === undefined || head.length < need) {
        partial = Buffer.from(head.subarray(0, Math.min(head.length, 14)));
        return -1;
      }
      i += need - (partial?.length ?? 0);
      partial = undefined;
      left = payloadLength(head);
      if (left === 0 && stop) return i;
    }
    return -1;
  }

  return {
    get atBoundary() {
      return left === 0 && partial === undefined;
    },
    feed(chunk) {
      consume(chunk, false);
    },
    untilBoundary(chunk) {
      return consume(chunk, true);
    },
  };
}

/**
 * A close frame with `code` and a short UTF-8 `reason` (at most 123 bytes, cut otherwise).
 * `masked`: frames a client sends must be masked (RFC 6455 5.3); a server's never are.
 */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, 123);
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  if (!masked) return Buffer.concat([Buffer.from([0x88, payload.length]), payload]);
  const mask = randomBytes(4);
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([Buffer.from([0x88, 0x80 | payload.length]), mask, payload]);
}
