import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

// oidc-provider's storage interface kept in this process's memory. Right for a development
// provider: a restart signs everyone out and forgets every code and session, which is what a
// developer restarting `tollgate serve` expects. A real deployment would need a shared database.

interface Entry {
  readonly payload: AdapterPayload;
  /** Milliseconds since the epoch; absent: kept until evicted. */
  readonly expiresAt: number | undefined;
}

/** Models whose records die with their grant (revokeByGrantId). */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

/**
 * One store shared by all models of one provider (and never between providers). Bounded: past
 * `maxEntries` the oldest records go first, so a flood of authorization requests cannot grow it
 * without end.
 */
export function createMemoryAdapter(
  options: { maxEntries?: number; now?: () => number } = {},
): AdapterFactory {
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const records = new Map<string, Entry>();
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();
  const byGrant = new Map<string, Set<string>>();

  const live = (key: string): AdapterPayload | undefined => {
    const entry = records.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= now()) {
      records.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  // Map iterates in insertion order: the first keys are the oldest.
  const trim = (map: Map<string, unknown>): void => {
    for (const key of map.keys()) {
      if (map.size <= maxEntries) return;
      map.delete(key);
    }
  };
  const index = <V>(map: Map<string, V>, key: string, value: V): void => {
    map.delete(key);
    map.set(key, value);
    trim(map);
  };

  return (model: string): Adapter => {
    const keyOf = (id: string): string => `${model}:${id}`;
    const find = async (id: string | undefined): Promise<AdapterPayload | undefined> =>
      id === undefined ? undefined : live(keyOf(id));
    return {
      async upsert(id, payload, expiresIn) {
        const key = keyOf(id);
        index(records, key, {
          payload,
          expiresAt: typeof expiresIn === 'number' ? now() + expiresIn * 1000 : undefined,
        });
        if (model === 'Session' && typeof payload.uid === 'string') index(byUid, payload.uid, id);
        if (typeof payload.userCode === 'string') index(byUserCode, payload.userCode, id);
        if (GRANTABLE.has(model) && typeof payload.grantId === 'string') {
          const members = byGrant.get(payload.grantId) ?? new Set<string>();
          members.add(key);
          index(byGrant, payload.grantId, members);
        }
      },
      find,
      findByUid: async (uid) => find(byUid.get(uid)),
      findByUserCode: async (userCode) => find(byUserCode.get(userCode)),
      async consume(id) {
        const payload = live(keyOf(id));
        if (payload !== undefined) payload.consumed = Math.floor(now() / 1000);
      },
      async destroy(id) {
        records.delete(keyOf(id));
      },
      async revokeByGrantId(grantId) {
        for (const key of byGrant.get(grantId) ?? []) records.delete(key);
        byGrant.delete(grantId);
      },
    };
  };
}
