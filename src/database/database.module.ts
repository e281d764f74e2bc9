import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config.js';
import { DATABASE_CONFIG } from '../config/config-slices.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { DIRECT_DATA_SOURCE, openDirectDataSource } from './direct-data-source.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { runMigrationsExclusively } from './migrations-runner.js';

export const EMBEDDED_POSTGRES = Symbol('EMBEDDED_POSTGRES');

@Module({
  providers: [
    {
      provide: EMBEDDED_POSTGRES,
      inject: [DATABASE_CONFIG],
      useFactory: (config: DatabaseConfig): EmbeddedPostgres | null =>
        config.url ? null : new EmbeddedPostgres(config.dataDir, Math.max(config.poolSize, 2) + 2),
    },
  ],
  exports: [EMBEDDED_POSTGRES],
})
class EmbeddedPostgresModule {}

/** Closes the pool before the embedded server it talks to, whatever order Nest picks. */
@Injectable()
class DatabaseLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Database');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(DIRECT_DATA_SOURCE) private readonly directDataSource: DataSource,
    @Inject(EMBEDDED_POSTGRES) private readonly embedded: EmbeddedPostgres | null,
    @Inject(DATABASE_CONFIG) private readonly config: DatabaseConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.embedded) {
      this.logger.warn(
        `Embedded PostgreSQL (PGlite, storage: ${this.embedded.storage}). Set DATABASE_URL for a real server.`,
      );
    }
    if (!this.config.runMigrations) return;
    // The migration lock is session-level: behind a transaction-mode pooler it needs the direct
    // connection, and the DDL goes there too.
    const applied = await runMigrationsExclusively(this.directDataSource);
    if (applied.length > 0) {
      this.logger.log(`Applied migrations: ${applied.map((m) => m.name).join(', ')}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.directDataSource !== this.dataSource && this.directDataSource.isInitialized) {
      await this.directDataSource.destroy();
    }
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.embedded?.stop();
  }
}

/** Global like TypeORM's own DataSource, which the repositories beside DIRECT_DATA_SOURCE inject. */
@Global()
@Module({
  imports: [
    EmbeddedPostgresModule,
    TypeOrmModule.forRootAsync({
      imports: [EmbeddedPostgresModule],
      inject: [DATABASE_CONFIG, EMBEDDED_POSTGRES],
      useFactory: async (config: DatabaseConfig, embedded: EmbeddedPostgres | null) => {
        const url = config.url ?? (await embedded!.start());
        return {
          ...buildDataSourceOptions(config, url),
          retryAttempts: 5,
          retryDelay: 2_000,
        };
      },
    }),
  ],
  providers: [
    {
      provide: DIRECT_DATA_SOURCE,
      inject: [DataSource, DATABASE_CONFIG],
      useFactory: (dataSource: DataSource, config: DatabaseConfig) =>
        openDirectDataSource(config, dataSource),
    },
    DatabaseLifecycle,
  ],
  exports: [DIRECT_DATA_SOURCE],
})
export class DatabaseModule {}
