/**
 * Key names under REDIS_KEY_PREFIX. In a Redis Cluster, keys that one command touches together
 * (MGET, MULTI/EXEC, a script) must hash to one slot: they name the same hash tag, which goes into
 * the key as `{tag}`. Elsewhere the tag is left out, so the names a single node or a Sentinel set
 * holds stay what they were (a rolling deploy sees one key space). REDIS_KEY_PREFIX cannot contain
 * `{` (the configuration refuses it), so the tag is the only one in a key.
 */
export class RedisKeys {
  constructor(
    private readonly prefix: string,
    private readonly usesHashTags: boolean,
  ) {}

  key(name: string, hashTag?: string): string {
    if (hashTag === undefined || !this.usesHashTags) return `${this.prefix}${name}`;
    return `${this.prefix}{${hashTag}}:${name}`;
  }
}
