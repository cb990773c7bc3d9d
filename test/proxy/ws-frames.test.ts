// The frame-boundary tracker and close frames the proxy uses to end a WebSocket with a code: any
// sequence of frames (short, 16-bit and 64-bit lengths, masked or not), cut into any chunks, has
// its boundaries found exactly where they are; close frames parse as RFC 6455 says.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeFrame, frameBoundaries } from '../../examples/auth-proxy/ws-frames.ts';

/** One frame's bytes: FIN + opcode, the length in its shortest form, optional mask, payload. */
function frame(opcode: number, payload: number, masked: boolean): Buffer {
  const ext = payload < 126 ? [payload] : payload < 65536 ? [126, payload >> 8, payload & 255] : [127];
  const head = Buffer.from([0x80 | opcode, (masked ? 0x80 : 0) | (ext[0] as number), ...ext.slice(1)]);
  const long = payload >= 65536 ? Buffer.alloc(8) : Buffer.alloc(0);
  if (payload >= 65536) long.writeBigUInt64BE(BigInt(payload));
  return Buffer.concat([
    head,
    long,
    masked ? Buffer.from([1, 2, 3, 4]) : Buffer.alloc(0),
    Buffer.alloc(payload, 7),
  ]);
}

describe('frameBoundaries', () => {
  it('finds every boundary of any frame sequence cut into any chunks', () => {
    const frames = fc.array(
      fc.record({
        opcode: fc.constantFrom(0x0, 0x1, 0x2, 0x9, 0xa),
        payload: fc.oneof(fc.integer({ min: 0, max: 130 }), fc.integer({ min: 65530, max: 70000 })),
        masked: fc.boolean(),
      }),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(
        frames,
        fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 40 }),
        (fs, cuts) => {
          const bytes = Buffer.concat(fs.map((f) => frame(f.opcode, f.payload, f.masked)));
          const ends = new Set<number>();
          let at = 0;
          for (const f of fs) {
            at += frame(f.opcode, f.payload, f.masked).length;
            ends.add(at);
          }
          // Walk the stream chunk by chunk; at each chunk ask where the current frame ends.
          const tracker = frameBoundaries();
          const found = new Set<number>();
          let offset = 0;
          let cut = 0;
          while (offset < bytes.length) {
            const size = cuts[cut++ % cuts.length] as number;
            let chunk = bytes.subarray(offset, offset + size);
            while (chunk.length > 0) {
              if (tracker.atBoundary) {
                // Between frames: pass one byte on plainly, then look for the end of its frame.
                tracker.feed(chunk.subarray(0, 1));
                offset += 1;
                chunk = chunk.subarray(1);
                if (tracker.atBoundary) found.add(offset);
                continue;
              }
              const n = tracker.untilBoundary(chunk);
              if (n < 0) {
                offset += chunk.length;
                break;
              }
              offset += n;
              found.add(offset);
              chunk = chunk.subarray(n);
            }
          }
          expect([...found].sort((a, b) => a - b)).toEqual([...ends]);
          expect(tracker.atBoundary).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('closeFrame', () => {
  // A real ws client and server parse them in websocket.test.ts; here, the bytes.
  it('is FIN + close, unmasked from the server side: code then reason', () => {
    const bytes = closeFrame(4401, 'session ended', false);
    expect([bytes[0], bytes[1]]).toEqual([0x88, 15]);
    expect(bytes.readUInt16BE(2)).toBe(4401);
    expect(bytes.subarray(4).toString()).toBe('session ended');
  });

  it('is masked from the client side (RFC 6455 5.3)', () => {
    const bytes = closeFrame(1001, 'bye', true);
    expect([bytes[0], bytes[1]]).toEqual([0x88, 0x80 | 5]);
    const mask = bytes.subarray(2, 6);
    const payload = Buffer.from(bytes.subarray(6).map((b, i) => b ^ (mask[i % 4] as number)));
    expect(payload.readUInt16BE(0)).toBe(1001);
    expect(payload.subarray(2).toString()).toBe('bye');
  });

  it('cuts a reason longer than a control frame can carry', () => {
    const bytes = closeFrame(1001, 'x'.repeat(300), false);
    expect(bytes[1]).toBe(125);
    expect(bytes.length).toBe(127);
  });
});
