// How the fuzzers put a generated request on the wire: exactly as generated. No URL parser sits
// between the generator and the socket (the WHATWG parser resolves `..`, reads a leading `/\`
// as another host and drops fragments, which hides the very targets an attacker would send), and
// nothing the harness itself gets wrong is ever counted against the server.
import http from 'node:http';

/** One malformed request, exactly as it goes on the wire. */
export interface FuzzRequest {
  method: string;
  /** The request target, byte for byte (build it with {@link requestTarget}). */
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** Which route template it came from, for the per-route summary. */
  label?: string;
}

/** What one request got: a status, or a transport error (a reset, or no answer in time). */
export interface Outcome {
  status: number;
  error?: string;
}

/**
 * The fuzzer failed, not the server: it built a request it cannot send, or node:http refused
 * one. Never a finding about the server; the message names the request so the generator can
 * be fixed.
 */
export class HarnessBug extends Error {
  override name = 'HarnessBug';
}

/** How long one request may take before it counts as a hang. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * A generated path made sendable with as little change as possible: every byte that may appear
 * in an HTTP/1.1 request target (visible ASCII, `\`, `..`, `#`, bad escapes) stays as it is;
 * only space, control characters and non-ASCII are percent-encoded as UTF-8 (a lone surrogate
 * as U+FFFD), which is what a browser puts on the wire for them.
 */
export function requestTarget(path: string): string {
  return path.replace(/[^\x21-\x7e]/gu, (c) =>
    encodeURIComponent(c.length === 1 && /[\ud800-\udfff]/.test(c) ? '\ufffd' : c),
  );
}

/** A request target node:http sends unchanged (its own check, without the surprise of a throw). */
export const sendable = (path: string) => /^[\x21-\x7e]+$/.test(path);

/** No pooled connections: each request gets its own, so a reset can only be its own answer. */
const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

/**
 * Sends `req` to the server at `base` with node:http, the target exactly as given, without
 * following redirects, and reads the whole answer (up to 1 MB of headers: oidc-provider echoes
 * a long `state` into Location). Resolves with the status, or status 0 and the transport error
 * when the server reset the connection, cut the answer off or did not answer in time. Rejects
 * with a {@link HarnessBug} when the request cannot be sent at all.
 */
export function send(base: string, req: FuzzRequest): Promise<Outcome> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const bug = (why: string) => new HarnessBug(`${why}\n${describeRequest(req)}`);
    if (!sendable(req.path)) {
      reject(bug('the generator built a request target that cannot go on the wire (use requestTarget)'));
      return;
    }
    // node:http frames a body by Content-Length for most methods but writes it bare for DELETE
    // and OPTIONS (its chunked default is off for them): frame every body the same way.
    const headers = { ...req.headers };
    if (req.body && !Object.keys(headers).some((k) => /^(content-length|transfer-encoding)$/i.test(k)))
      headers['content-length'] = String(req.body.byteLength);
    let request: http.ClientRequest;
    try {
      request = http.request({
        host: hostname,
        port,
        path: req.path,
        method: req.method,
        headers,
        agent,
        maxHeaderSize: 1 << 20,
        timeout: REQUEST_TIMEOUT_MS,
      });
    } catch (err) {
      // node:http validates the method, the target and every header before it connects.
      reject(bug(`node:http refused to send the request: ${(err as Error).message}`));
      return;
    }
    // Decided when the exchange is over ('close' comes last): a server that answers and then
    // resets (as Node's parser does after a 431 for an oversized head still being uploaded)
    // did answer; a reset or timeout without a whole answer is a failure.
    let answer: number | undefined;
    let transport = '';
    request.on('timeout', () =>
      request.destroy(
        Object.assign(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`), { code: 'TIMEOUT' }),
      ),
    );
    request.on('response', (res) => {
      res.on('end', () => {
        answer = res.statusCode;
      });
      res.on('error', () => {});
      res.resume();
    });
    request.on('error', (err: NodeJS.ErrnoException) => {
      // Errors with Node's own ERR_ codes are the harness misusing node:http; the rest
      // (ECONNRESET, EPIPE, "socket hang up", HPE_* parse errors of the answer) are the server's.
      if (err.code?.startsWith('ERR_')) reject(bug(`node:http: ${err.code} ${err.message}`));
      transport ||= `${err.code ?? ''} ${err.message}`;
    });
    request.on('close', () => {
      if (answer !== undefined) resolve({ status: answer });
      else resolve({ status: 0, error: transport || 'connection closed without a whole answer' });
    });
    request.end(req.body);
  });
}

/** A short description of a request for failure messages (bodies and long values cut). */
export function describeRequest(req: FuzzRequest): string {
  // Head and tail: a long path still shows its query.
  const cut = (s: string) =>
    s.length > 300 ? `${s.slice(0, 150)}...(${s.length} chars)...${s.slice(-150)}` : s;
  const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${cut(v)}`);
  const body = req.body ? cut(Buffer.from(req.body).toString('latin1')) : '(none)';
  return `${req.method} ${cut(req.path)}\n  ${headers.join('\n  ')}\n  body: ${body}`;
}
