/**
 * The console (src/console) is compiled for the browser apart from the server and keeps its own
 * copy of the wire types in src/console/wire.ts. This file makes the server build check that the
 * copy still matches src/flag.ts: a field added on one side only fails `npm run build`.
 */
import type { Category as WireCategory, Severity as WireSeverity, WireFlag } from '../console/wire.js';
import type { Category, Flag, Severity } from '../flag.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// Keys too: an optional field missing on one side would still pass the assignability check.
export const CONSOLE_WIRE_MATCHES: [Same<WireFlag, Flag>, Same<keyof WireFlag, keyof Flag>, Same<WireCategory, Category>, Same<WireSeverity, Severity>] = [true, true, true, true];
