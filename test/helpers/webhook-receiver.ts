import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got. */
export interface ReceivedWebhook {
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** Whether the `standardwebhooks` package (an independent implementation) accepted it. */
  verified: boolean;
  /** Epoch ms when the whole body had arrived. */
  receivedAt: number;
}

/**
 * What to answer to one request: a status, a status with headers (e.g. Retry-After), or
 * 'hang' to never answer (the sender's timeout must fire).
 */
export type ScriptedReply = number | 'hang' | { status: number; headers?: Record<string, string> };

/** A loopback HTTP server standing in for an SMS gateway or email API. */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hook` */
  url: string;
  requests: ReceivedWebhook[];
  stop(): Promise<void>;
}

function flatten(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Starts a receiver that verifies every request with `standardwebhooks` and answers the n-th
 * request with `script[n]`; the last entry repeats.
 * @param secret the `whsec_...` secret the sender signs with.
 */
export async function startWebhookReceiver(
  secret: string,
  script: ScriptedReply[] = [200],
): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const requests: ReceivedWebhook[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = flatten(req.headers);
      let verified = false;
      try {
        verifier.verify(body, headers);
        verified = true;
      } catch {
        verified = false;
      }
      const reply = script[Math.min(requests.length, script.length - 1)] ?? 200;
      requests.push({ headers, body, verified, receivedAt: Date.now() });
      if (reply === 'hang') return;
      const { status, headers: extra } = typeof reply === 'number' ? { status: reply, headers: {} } : reply;
      res.writeHead(status, { 'content-type': 'application/json', ...extra });
      res.end(JSON.stringify({ status }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    stop: async () => {
      // Hanging requests hold their sockets open; close() alone would wait for them forever.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
