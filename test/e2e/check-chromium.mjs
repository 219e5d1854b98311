// Run by `npm run test:e2e` before the suite: the e2e tests drive Debian's Chromium and cannot
// download a browser, so a missing binary must fail loudly instead of the suite passing silently.
import { accessSync, constants } from 'node:fs';

const executablePath = process.env.TANDEM_CHROMIUM ?? '/usr/bin/chromium';

try {
  accessSync(executablePath, constants.X_OK);
} catch {
  process.stderr.write(
    `e2e: Chromium not found at ${executablePath}.\n` +
      'Install it with:  apt-get install -y chromium   (or set TANDEM_CHROMIUM to its path)\n',
  );
  process.exit(1);
}
