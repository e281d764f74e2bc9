import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { IN_MEMORY_DATA_DIR } from '../config/app-config.js';

/**
 * PGlite (PostgreSQL compiled to WASM) served on a loopback port, so the ordinary `pg` driver,
 * TypeORM and the migrations run unchanged. PGlite is single-connection; the socket server
 * multiplexes the pool's connections and keeps an open transaction on its own connection.
 */
export class EmbeddedPostgres {
  private database: PGlite | undefined;
  private server: PGLiteSocketServer | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly maxConnections: number,
  ) {}

  get storage(): string {
    return this.dataDir === IN_MEMORY_DATA_DIR ? 'memory' : this.pgliteDirectory();
  }

  /** Starts the database and returns a connection URL for `pg`. */
  async start(): Promise<string> {
    // Loaded only in embedded mode: connected replicas never pay for PGlite's memory or start-up.
    const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite-socket'),
    ]);
    if (this.dataDir === IN_MEMORY_DATA_DIR) {
      this.database = await PGlite.create();
    } else {
      await mkdir(this.pgliteDirectory(), { recursive: true });
      this.database = await PGlite.create(this.pgliteDirectory());
    }
    this.server = new PGLiteSocketServer({
      db: this.database,
      host: '127.0.0.1',
      port: 0,
      maxConnections: this.maxConnections,
    });
    await this.server.start();
    const address = this.server.getServerConn();
    return `postgres://postgres@${address}/postgres`;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
    if (this.database && !this.database.closed) await this.database.close();
    this.database = undefined;
  }

  private pgliteDirectory(): string {
    return path.resolve(this.dataDir, 'pglite');
  }
}
