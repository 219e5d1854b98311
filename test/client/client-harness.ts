/**
 * Starts clients for fake-timer tests with their lifecycle events recorded, and closes every one
 * of them after the test, so no test leaves a client (or its timers) behind.
 */
import { createClient } from '../../client/index.js';
import type { ClientOptions, ClientState, CloseInfo, TandemClient, UrlSource } from '../../client/index.js';
import type { ContractShape } from '../../src/contract.js';

/** A started client and what its `lifecycle` emitted, in order. */
export interface RecordedClient<C extends ContractShape> {
  client: TandemClient<C>;
  states: ClientState[];
  closes: CloseInfo[];
  errors: unknown[];
}

/** `defaults` apply to every client `start` makes (the per-test options win). */
export function clientHarness<C extends ContractShape>(defaults: ClientOptions<C>) {
  let clients: Array<TandemClient<C>> = [];
  return {
    start(options: ClientOptions<C> = {}, url: UrlSource = 'ws://test/'): RecordedClient<C> {
      const client = createClient<C>(url, { ...defaults, ...options });
      clients.push(client);
      const recorded: RecordedClient<C> = { client, states: [], closes: [], errors: [] };
      client.lifecycle.on('state', (s) => recorded.states.push(s));
      client.lifecycle.on('close', (info) => recorded.closes.push(info));
      client.lifecycle.on('error', (e) => recorded.errors.push(e));
      return recorded;
    },
    /** For afterEach: close every client still running. */
    closeAll(): void {
      for (const c of clients) if (c.state !== 'closed') c.close();
      clients = [];
    },
  };
}
