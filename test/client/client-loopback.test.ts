// @vitest-environment jsdom
/**
 * The typed client over the browser's WebSocket (jsdom's; one case injects ws's) against real
 * servers over loopback: the shared cases of loopback-cases.ts.
 */
import { createClient } from '../../client/index.js';
import { loopbackCases } from './loopback-cases.js';
import type { Contract } from './loopback-cases.js';

loopbackCases('jsdom WebSocket', (url, options) => createClient<Contract>(url, options));
