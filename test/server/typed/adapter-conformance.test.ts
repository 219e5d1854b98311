// The adapter behaviour suite on the memory adapter (a one-node cluster); test/cluster runs the
// same suite on three Redis adapters.
import { describe } from 'vitest';
import { MemoryAdapter } from '../../../server/typed/adapter.js';
import { adapterConformance, recordingHost, type Delivery } from '../../helpers/adapter-conformance.js';

describe('Adapter conformance: MemoryAdapter', () => {
  adapterConformance(
    async () => {
      const delivered: Delivery[] = [];
      const adapter = new MemoryAdapter(recordingHost(delivered));
      return { nodes: [{ adapter, delivered }], close: () => adapter.close() };
    },
    async () => undefined,
  );
});
