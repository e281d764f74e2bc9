import {
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { runMigrationsExclusively } from './migrations-runner.js';

export const EMBEDDED_POSTGRES = Symbol('EMBEDDED_POSTGRES');

@Module({
  providers: [
    {
      provide: EMBEDDED_POSTGRES,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): EmbeddedPostgres | null =>
        config.database.url
          ? null
          : new EmbeddedPostgres(config.dataDir, Math.max(config.database.poolSize, 2) + 2),
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
    @Inject(EMBEDDED_POSTGRES) private readonly embedded: EmbeddedPostgres | null,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.embedded) {
      this.logger.warn(
        `Embedded PostgreSQL (PGlite, storage: ${this.embedded.storage}). Set DATABASE_URL for a real server.`,
      );
    }
    if (!this.config.database.runMigrations) return;
    const applied = await runMigrationsExclusively(this.dataSource);
    if (applied.length > 0) {
      this.logger.log(`Applied migrations: ${applied.map((m) => m.name).join(', ')}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.embedded?.stop();
  }
}

@Module({
  imports: [
    EmbeddedPostgresModule,
    TypeOrmModule.forRootAsync({
      imports: [EmbeddedPostgresModule],
      inject: [APP_CONFIG, EMBEDDED_POSTGRES],
      useFactory: async (config: AppConfig, embedded: EmbeddedPostgres | null) => {
        const url = config.database.url ?? (await embedded!.start());
        return {
          ...buildDataSourceOptions(config.database, url),
          retryAttempts: 5,
          retryDelay: 2_000,
        };
      },
    }),
  ],
  providers: [DatabaseLifecycle],
})
export class DatabaseModule {}
