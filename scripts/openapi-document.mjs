// Writes the OpenAPI document the built service serves at /docs/openapi.json to the file given as
// the first argument, without listening: the compiled application (dist/, where the Swagger CLI
// plugin has described the DTOs) on the embedded in-memory database. scripts/client-generate.mjs
// runs it with a clean environment; the contract test checks it against the served document.
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const output = process.argv[2];
if (!output) {
  console.error('usage: node scripts/openapi-document.mjs <output.json>');
  process.exit(2);
}
const load = (file) => import(pathToFileURL(path.join(root, 'dist', file)).href);

const { NestFactory } = await import('@nestjs/core');
const { ExpressAdapter } = await import('@nestjs/platform-express');
const { AppModule } = await load('app.module.js');
const { buildOpenApiDocument } = await load('setup-app.js');

const app = await NestFactory.create(AppModule, new ExpressAdapter(), {
  logger: false,
  bodyParser: false,
  abortOnError: false,
});
try {
  await writeFile(output, JSON.stringify(buildOpenApiDocument(app)));
} finally {
  await app.close();
}
