// Display names of the demo's peers, shared by every node through Redis (a hash peer id → name),
// so a node can show who is in a room when the members are connected elsewhere. Entries of a
// node that died without a goodbye are never shown: presence asks for the ids that
// fetchMembers() returns, and those no longer include the dead node's peers.
import { createClient } from 'redis';

const KEY = 'tandem-demo:names';

export async function clusterNames(url) {
  const client = createClient({ url });
  client.on('error', () => undefined); // the adapter reports Redis outages on the server's 'error'
  client.connect().catch(() => undefined);
  const ready = () => client.isReady;
  return {
    add: (id, name) => void (ready() && client.hSet(KEY, id, name).catch(() => undefined)),
    remove: (id) => void (ready() && client.hDel(KEY, id).catch(() => undefined)),
    names: async (ids) => (ids.length === 0 || !ready() ? [] : await client.hmGet(KEY, ids)),
    close: async () => void (client.isOpen ? await client.close().catch(() => client.destroy()) : undefined),
  };
}
