// Run by `npm run test:cluster` before the suite: the cluster tests start real redis-server
// processes, so a missing binary must fail loudly with the fix instead of the suite passing silently.
import { spawnSync } from 'node:child_process';

const bin = process.env.TANDEM_REDIS_SERVER ?? 'redis-server';
const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  process.stderr.write(
    `cluster: ${bin} not found (${probe.error?.message ?? `exit ${probe.status}`}).\n` +
      'Install it with:  apt-get install -y redis-server   (or set TANDEM_REDIS_SERVER to its path)\n',
  );
  process.exit(1);
}
