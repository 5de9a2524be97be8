/** Element helpers. Text goes in through `textContent` only: stream content is never parsed as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

export function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`console page is missing #${id}`);
  return e as T;
}

/**
 * Sets text only when it differs: setting the same text still replaces the text node and relays
 * out its box, which for the cards and flag rows refilled after a burst of flags was most of a slow frame's layout.
 */
export function text(e: Element, value: string): void {
  if (e.textContent !== value) e.textContent = value;
}

export function data(e: HTMLElement, key: string, value: string): void {
  if (e.dataset[key] !== value) e.dataset[key] = value;
}

export function hide(e: HTMLElement | SVGElement, hidden: boolean): void {
  if ((e as HTMLElement).hidden !== hidden) (e as HTMLElement).hidden = hidden;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * An event time as the moderator reads it: the clock time, with the date in front when the day is
 * not today's (a flag from last night must not read as this afternoon's).
 */
export function clockTime(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined || !Number.isFinite(ms)) return '--:--:--';
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const today = new Date(now);
  if (d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth() && d.getDate() === today.getDate()) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}
