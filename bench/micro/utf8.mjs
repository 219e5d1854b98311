/**
 * UTF-8 validation MB/s on 64 KiB of text (mostly ASCII with 2- and 3-byte sequences) and of
 * pure ASCII: Tandem's engine beside node:buffer isUtf8 (what ws uses on Node ≥ 18.14),
 * utf-8-validate (native) and a fatal TextDecoder (which also builds the string).
 */
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import { makePayload, makeRandom } from '../wire.mjs';
import { emit, opsPerSecond } from './measure.mjs';
import { loadEngine, missing, pick } from './tandem-engine.mjs';

const require = createRequire(import.meta.url);
const utf8Validate = require('utf-8-validate');
const TANDEM_NAMES = ['isValidUtf8', 'isValidUTF8', 'validateUtf8', 'isUtf8'];

const engine = await loadEngine();
const tandem = pick(engine, TANDEM_NAMES);
const decoder = new TextDecoder('utf-8', { fatal: true });
const size = 64 * 1024;
const inputs = {
  'mixed text 64 KiB': makePayload(size, true, makeRandom(7)),
  'ASCII 64 KiB': Buffer.alloc(size, 0x61),
};

for (const [bench, data] of Object.entries(inputs)) {
  const rate = (fn) => {
    if (fn() !== true) throw new Error(`${bench}: validator rejected valid input`);
    return (opsPerSecond(fn) * size) / 1e6;
  };
  emit({ bench: `UTF-8 ${bench}`, impl: 'node:buffer isUtf8 (ws)', value: rate(() => isUtf8(data)), unit: 'MB/s' });
  emit({ bench: `UTF-8 ${bench}`, impl: 'utf-8-validate native', value: rate(() => utf8Validate(data)), unit: 'MB/s' });
  emit({ bench: `UTF-8 ${bench}`, impl: 'TextDecoder fatal (decodes)', value: rate(() => decoder.decode(data).length > 0), unit: 'MB/s' });
  if (tandem) {
    emit({ bench: `UTF-8 ${bench}`, impl: `Tandem ${tandem.name}`, value: rate(() => tandem.fn(data) !== false), unit: 'MB/s' });
  } else {
    emit({ bench: `UTF-8 ${bench}`, impl: 'Tandem', value: null, unit: 'MB/s', note: missing(TANDEM_NAMES) });
  }
}
