// oidc-provider's storage adapter for the benchmark: a plain Map that never evicts. The
// library's own memory adapter is an LRU of 1000 entries, which under load would drop live
// codes, sessions and refresh tokens and make the peer fail requests. Expired entries are
// dropped when read (the provider also checks every model's exp itself).

const storage = new Map();
const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest']);

const now = () => Date.now();
const grantKey = (id) => `grant:${id}`;
const sessionUidKey = (uid) => `sessionUid:${uid}`;

function read(key) {
  const entry = storage.get(key);
  if (entry === undefined) return undefined;
  if (entry.expiresAt !== undefined && entry.expiresAt <= now()) {
    storage.delete(key);
    return undefined;
  }
  return entry.value;
}

function write(key, value, expiresIn) {
  const expiresAt = typeof expiresIn === 'number' ? now() + expiresIn * 1000 : undefined;
  storage.set(key, { value, expiresAt });
}

export default class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    if (this.model === 'Session') write(sessionUidKey(payload.uid), id, expiresIn);
    if (grantable.has(this.model) && payload.grantId) {
      const members = read(grantKey(payload.grantId)) ?? [];
      members.push(key);
      write(grantKey(payload.grantId), members);
    }
    write(key, payload, expiresIn);
  }

  async find(id) {
    return read(this.key(id));
  }

  async findByUid(uid) {
    const id = read(sessionUidKey(uid));
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode() {
    return undefined; // no device flow in the benchmark
  }

  async consume(id) {
    const payload = read(this.key(id));
    if (payload) payload.consumed = Math.floor(now() / 1000);
  }

  async destroy(id) {
    storage.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of read(grantKey(grantId)) ?? []) storage.delete(key);
    storage.delete(grantKey(grantId));
  }
}
