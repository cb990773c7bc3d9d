/**
 * A minimal browser for HTTP-level flows: a cookie jar that honours cookie paths, manual
 * redirects, and form helpers. Real browsers are exercised by the Playwright tests.
 */

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  origin: string;
}

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

export class Browser {
  readonly cookies: StoredCookie[] = [];
  /** Headers of every request (e.g. `accept-language`), under those a request sets. */
  readonly headers: Record<string, string>;

  constructor(headers: Record<string, string> = {}) {
    this.headers = headers;
  }

  private cookieHeader(url: URL): string {
    return this.cookies
      .filter((c) => c.origin === url.origin && url.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, headers: Headers) {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, eq).trim();
      const value = (pair ?? '').slice(eq + 1).trim();
      let path = '/';
      let expired = false;
      for (const attr of attrs) {
        const [k, v] = attr.split('=').map((s) => s.trim());
        if (k?.toLowerCase() === 'path' && v) path = v;
        if (k?.toLowerCase() === 'expires' && v && new Date(v).getTime() < Date.now()) expired = true;
        if (k?.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      const i = this.cookies.findIndex((c) => c.name === name && c.path === path && c.origin === url.origin);
      if (i >= 0) this.cookies.splice(i, 1);
      if (!expired) this.cookies.push({ name, value, path, origin: url.origin });
    }
  }

  /** One request, no redirect following. */
  async request(
    url: string,
    init: {
      method?: string;
      form?: Record<string, string>;
      headers?: Record<string, string>;
      body?: string;
    } = {},
  ): Promise<Page> {
    const target = new URL(url);
    const headers: Record<string, string> = { accept: 'text/html', ...this.headers, ...init.headers };
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    let body = init.body;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(target, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    this.store(target, res.headers);
    return { url: target.href, status: res.status, headers: res.headers, body: await res.text() };
  }

  /**
   * Follows redirects until a response is not a redirect, or until the location starts with
   * `stopAt` (a client's redirect_uri, which no server here answers). Returns the last page,
   * or for a stop, a page whose `url` is that location.
   */
  async follow(page: Page, stopAt?: string, max = 10): Promise<Page> {
    let current = page;
    for (let i = 0; i < max; i++) {
      const location = current.headers.get('location');
      if (current.status < 300 || current.status >= 400 || !location) return current;
      const next = new URL(location, current.url).href;
      if (stopAt && next.startsWith(stopAt))
        return { url: next, status: 0, headers: new Headers(), body: '' };
      current = await this.request(next);
    }
    throw new Error('too many redirects');
  }

  async get(url: string, stopAt?: string): Promise<Page> {
    return this.follow(await this.request(url), stopAt);
  }

  async submit(page: Page, fields: Record<string, string>, stopAt?: string, formIndex = 0): Promise<Page> {
    const form = parseForm(page.body, formIndex);
    const action = new URL(form.action, page.url).href;
    return this.follow(await this.request(action, { form: { ...form.fields, ...fields } }), stopAt);
  }
}

/** The action and hidden fields of the n-th form of a page. */
export function parseForm(html: string, index = 0): { action: string; fields: Record<string, string> } {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)];
  const form = forms[index];
  if (!form) throw new Error(`no form #${index} on the page:\n${html.slice(0, 500)}`);
  const action = /action="([^"]*)"/i.exec(form[1] ?? '')?.[1] ?? '';
  const fields: Record<string, string> = {};
  for (const input of (form[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
    const attrs = input[1] ?? '';
    if (!/type="hidden"/i.test(attrs)) continue;
    const name = /name="([^"]*)"/i.exec(attrs)?.[1];
    const value = /value="([^"]*)"/i.exec(attrs)?.[1] ?? '';
    if (name) fields[name] = decodeEntities(value);
  }
  return { action: decodeEntities(action), fields };
}

function decodeEntities(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCharCode(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
