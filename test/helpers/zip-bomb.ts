/** A permessage-deflate zip bomb for the inflate limits (one implementation for every test). */
import { constants, createDeflateRaw } from 'node:zlib';

const MiB = 1024 * 1024;

/**
 * `megabytes` MiB of zeros as one raw deflate stream: each MiB is deflated with a sync flush in the
 * same stream, so every segment after the first is the same ~1 KiB of back-references (1024
 * segments inflate to 1 GiB from about 1 MiB). RFC 7692 §7.2.1: the message is returned without
 * the final 00 00 ff ff, as a sender puts it in a frame.
 */
export async function zipBomb(megabytes: number): Promise<Buffer> {
  const deflate = createDeflateRaw({ level: 9 });
  const segment = (): Promise<Buffer> =>
    new Promise((resolve) => {
      const out: Buffer[] = [];
      const onData = (c: Buffer): number => out.push(c);
      deflate.on('data', onData);
      deflate.write(Buffer.alloc(MiB));
      deflate.flush(constants.Z_SYNC_FLUSH, () => {
        deflate.off('data', onData);
        resolve(Buffer.concat(out));
      });
    });
  const first = await segment();
  const repeated = await segment();
  deflate.close();
  const bomb = Buffer.concat([first, ...Array.from({ length: megabytes - 1 }, () => repeated)]);
  return bomb.subarray(0, bomb.length - 4);
}
