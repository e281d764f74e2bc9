// Migration commands on the same data source definition as the application:
//   node dist/database/migration-cli.js run | revert | show | check | generate <Name>
// Without DATABASE_URL they act on the embedded database in DATA_DIR.
import 'reflect-metadata';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exitWith } from '../common/cli/exit-with.js';
import { readProcessEnvironment } from '../config/app-config.js';
import { loadMigrationConfig } from '../config/migration-config.js';
import { openCliDataSource, type CliDataSource } from './cli-data-source.js';
import { runMigrationsExclusively } from './migrations-runner.js';

const MIGRATIONS_SOURCE_DIR = path.resolve('src/database/migrations');

function openDataSource(): Promise<CliDataSource> {
  // Only the database settings: the migration Job has no signing key and needs none.
  return openCliDataSource(loadMigrationConfig(readProcessEnvironment()));
}

function renderMigration(className: string, up: string[], down: string[]): string {
  const lines = (queries: string[]) =>
    queries.map((query) => `    await queryRunner.query(${JSON.stringify(query)});`).join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  public async up(queryRunner: QueryRunner): Promise<void> {
${lines(up)}
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
${lines(down)}
  }
}
`;
}

/** Rewrites migrations/index.ts from the files present, in timestamp order. */
async function writeMigrationIndex(): Promise<void> {
  const files = (await readdir(MIGRATIONS_SOURCE_DIR))
    .filter((file) => /^\d{13}-[A-Za-z0-9]+\.ts$/.test(file))
    .sort();
  const entries = files.map((file) => {
    const [timestamp, name] = file.replace(/\.ts$/, '').split('-');
    return { module: file.replace(/\.ts$/, '.js'), className: `${name}${timestamp}` };
  });
  const source = `import type { MigrationInterface } from 'typeorm';
${entries.map((e) => `import { ${e.className} } from './${e.module}';`).join('\n')}

/** Migration classes in order, listed explicitly: path globs fail intermittently under ESM. */
export const MIGRATIONS: Array<new () => MigrationInterface> = [${entries.map((e) => e.className).join(', ')}];
`;
  await writeFile(path.join(MIGRATIONS_SOURCE_DIR, 'index.ts'), source);
}

async function main(command: string | undefined, argument: string | undefined): Promise<number> {
  const { dataSource, close } = await openDataSource();
  try {
    switch (command ?? '') {
      case 'run': {
        const applied = await runMigrationsExclusively(dataSource);
        console.log(
          applied.length
            ? `Applied: ${applied.map((m) => m.name).join(', ')}`
            : 'No pending migrations.',
        );
        return 0;
      }
      case 'revert':
        await dataSource.undoLastMigration({ transaction: 'each' });
        console.log('Reverted the last migration.');
        return 0;
      case 'show': {
        const pending = await dataSource.showMigrations();
        console.log(pending ? 'There are pending migrations.' : 'No pending migrations.');
        return pending ? 1 : 0;
      }
      case 'check':
      case 'generate': {
        await runMigrationsExclusively(dataSource);
        const sql = await dataSource.driver.createSchemaBuilder().log();
        const up = sql.upQueries.map((query) => query.query);
        const down = sql.downQueries.map((query) => query.query).reverse();
        if (command === 'check') {
          if (up.length === 0) {
            console.log('Entities and migrations agree.');
            return 0;
          }
          console.error(`Entities and migrations have drifted; missing:\n${up.join(';\n')}`);
          return 1;
        }
        if (!argument || !/^[A-Z][A-Za-z0-9]*$/.test(argument)) {
          console.error('usage: migration:generate -- <PascalCaseName>');
          return 2;
        }
        if (up.length === 0) {
          console.log('No schema changes to generate.');
          return 0;
        }
        const timestamp = Date.now();
        const file = path.join(MIGRATIONS_SOURCE_DIR, `${timestamp}-${argument}.ts`);
        await writeFile(file, renderMigration(`${argument}${timestamp}`, up, down));
        await writeMigrationIndex();
        console.log(`Wrote ${path.relative(process.cwd(), file)}; review it before committing.`);
        return 0;
      }
      default:
        console.error('usage: migration-cli.js run | revert | show | check | generate <Name>');
        return 2;
    }
  } finally {
    await close();
  }
}

exitWith(main(process.argv[2], process.argv[3]));
