/**
 * Flag frames on `/feed`, with a message's text sent once per connection, not once per flag.
 *
 * The first flag of a message that a connection receives carries the message `text`; later flags
 * of the same message on that connection carry `textOf: "<id of that first flag>"` instead. One
 * chat line that raises 100 flags so costs its text once, not 100 times (a 54 KB line once cost
 * ~5 MB per moderator). `prev` (at most 256 units) stays on every carried flag.
 */
import type { Flag } from '../flag.js';

/** The text of one message, escaped for JSON at most once for every flag and every connection. */
export class MessageText {
  readonly text: string | undefined;
  #json: string | undefined;
  #bytes = -1;

  constructor(text: string | undefined) {
    this.text = text;
  }

  get json(): string {
    return (this.#json ??= JSON.stringify(this.text ?? ''));
  }

  /** UTF-8 bytes of the escaped text: what holding it costs a connection. */
  get bytes(): number {
    if (this.#bytes < 0) this.#bytes = this.text === undefined ? 0 : Buffer.byteLength(this.json);
    return this.#bytes;
  }
}

/** One flag on its way to feed connections: the flag is serialized once, frames are cheap concatenations. */
export class OutgoingFlag {
  readonly flag: Flag;
  readonly n: number;
  readonly msg: MessageText;
  /** Only on a flag carried across a seam. */
  readonly prev: string | undefined;
  #json: string | undefined;
  #size = -1;

  constructor(flag: Flag, msg: MessageText, prev: string | undefined) {
    this.flag = flag;
    this.n = Number(flag.id.slice(1));
    this.msg = msg;
    this.prev = flag.carried !== undefined ? prev : undefined;
  }

  get flagJson(): string {
    return (this.#json ??= JSON.stringify(this.flag));
  }

  /** Bytes of the frame without the message text (the text is counted once per message). */
  get size(): number {
    if (this.#size < 0) this.#size = Buffer.byteLength(this.flagJson) + (this.prev === undefined ? 0 : Buffer.byteLength(this.prev) + 10) + 40;
    return this.#size;
  }

  /** `{"type":"flag","flag":…,"text":…}`, or with `textOf` when the connection already has the text. */
  frame(textOf: string | undefined): string {
    const text = textOf !== undefined ? `,"textOf":${JSON.stringify(textOf)}` : this.msg.text !== undefined ? `,"text":${this.msg.json}` : '';
    const prev = this.prev !== undefined ? `,"prev":${JSON.stringify(this.prev)}` : '';
    return `{"type":"flag","flag":${this.flagJson}${text}${prev}}`;
  }
}

/** How many recent messages a connection remembers having received the text of. */
const REMEMBERED = 8;

/**
 * Per connection: which messages' texts it has received, and in which flag's frame. A few are kept,
 * so flags of streams that interleave (cluster mode) still reference their text.
 */
export class TextMemory {
  #recent: { stream: string | undefined; seq: number | undefined; text: string; id: string }[] = [];

  /** The id whose frame carried this flag's text on this connection, if any. */
  refFor(o: OutgoingFlag): string | undefined {
    const text = o.msg.text;
    if (text === undefined) return undefined;
    for (const r of this.#recent) if (r.stream === o.flag.stream && r.seq === o.flag.seq && r.text === text) return r.id;
    return undefined;
  }

  /** The frame of `o` carried its text. */
  remember(o: OutgoingFlag): void {
    if (o.msg.text === undefined) return;
    this.#recent.unshift({ stream: o.flag.stream, seq: o.flag.seq, text: o.msg.text, id: o.flag.id });
    if (this.#recent.length > REMEMBERED) this.#recent.pop();
  }
}
