import { randomBytes } from 'node:crypto';
import { createClient, type RedisClientType } from '@keyv/redis';
import { TEST_REDIS_URL } from './environment.js';

/** A key space of its own for one test file on the shared Redis, deleted afterwards. */
export class TestRedisKeyspace {
  readonly prefix = `test:${randomBytes(6).toString('hex')}:`;

  async keys(): Promise<string[]> {
    return this.withClient((client) => client.keys(`${this.prefix}*`));
  }

  async flush(): Promise<void> {
    await this.withClient(async (client) => {
      const keys = await client.keys(`${this.prefix}*`);
      if (keys.length > 0) await client.del(keys);
    });
  }

  private async withClient<T>(work: (client: RedisClientType) => Promise<T>): Promise<T> {
    const client: RedisClientType = createClient({ url: TEST_REDIS_URL });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.close();
    }
  }
}
