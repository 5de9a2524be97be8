/**
 * Just enough WebDriver BiDi to drive Debian's firefox-esr headless (playwright-core's Firefox
 * needs its own patched build; stock Firefox speaks BiDi natively): start it, open a page,
 * evaluate expressions in it, and collect the page's console errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

export const FIREFOX = process.env.PKGUARD_FIREFOX ?? '/usr/bin/firefox-esr';

export class Firefox {
  readonly errors: string[] = [];
  readonly #proc: ChildProcess;
  readonly #ws: WebSocket;
  readonly #profile: string;
  #context = '';
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();

  private constructor(proc: ChildProcess, ws: WebSocket, profile: string) {
    this.#proc = proc;
    this.#ws = ws;
    this.#profile = profile;
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { id?: number; type?: string; method?: string; result?: Record<string, unknown>; error?: string; message?: string; params?: { level?: string; text?: string } };
      if (m.id !== undefined) {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.type === 'error') p?.reject(new Error(`${m.error}: ${m.message}`));
        else p?.resolve(m.result ?? {});
      } else if (m.method === 'log.entryAdded' && m.params?.level === 'error') this.errors.push(m.params.text ?? '');
    });
  }

  static async launch(): Promise<Firefox> {
    if (!existsSync(FIREFOX)) throw new Error(`no firefox at ${FIREFOX}: install Debian's firefox-esr or set PKGUARD_FIREFOX`);
    const profile = mkdtempSync(join(tmpdir(), 'pkguard-firefox-'));
    const proc = spawn(FIREFOX, ['--headless', '--remote-debugging-port', '0', '--profile', profile, 'about:blank'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`firefox did not start: ${out}`)), 30_000);
      const read = (d: Buffer) => {
        out += d.toString();
        const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      proc.stdout!.on('data', read);
      proc.stderr!.on('data', read);
      proc.once('exit', (code) => reject(new Error(`firefox exited with ${code}: ${out}`)));
    });
    const ws = new WebSocket(`${url}/session`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const ff = new Firefox(proc, ws, profile);
    await ff.#send('session.new', { capabilities: {} });
    await ff.#send('session.subscribe', { events: ['log.entryAdded'] });
    const tree = (await ff.#send('browsingContext.getTree', {})) as { contexts: { context: string }[] };
    ff.#context = tree.contexts[0]!.context;
    return ff;
  }

  #send(method: string, params: object): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    this.#ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  async goto(url: string): Promise<void> {
    await this.#send('browsingContext.navigate', { context: this.#context, url, wait: 'complete' });
  }

  /** Evaluates `expression` in the page (awaiting a promise) and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.#send('script.evaluate', { expression: `(async () => JSON.stringify(await (${expression})))()`, target: { context: this.#context }, awaitPromise: true })) as {
      type: string;
      result?: { value?: string };
      exceptionDetails?: { text?: string };
    };
    if (r.type === 'exception') throw new Error(`page threw: ${r.exceptionDetails?.text}`);
    return JSON.parse(r.result?.value ?? 'null') as T;
  }

  /** Polls `expression` until it is truthy. */
  async waitFor(expression: string, timeoutMs = 15_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await this.evaluate<boolean>(expression))) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    this.#ws.close();
    const exited = new Promise((r) => this.#proc.once('exit', r));
    this.#proc.kill('SIGTERM');
    await exited;
    rmSync(this.#profile, { recursive: true, force: true });
  }
}
