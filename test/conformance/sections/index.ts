/** Every conformance section, in Autobahn order (1-7, 9). */
import type { Case } from '../cases.js';
import { SECTIONS as framing } from './framing.js';
import { SECTIONS as fragmentation } from './fragmentation.js';
import { SECTIONS as utf8 } from './utf8.js';
import { SECTIONS as close } from './close.js';
import { SECTIONS as big } from './big-messages.js';

export const ALL_SECTIONS: ReadonlyArray<readonly [name: string, cases: readonly Case[]]> = [...framing, ...fragmentation, ...utf8, ...close, ...big];
