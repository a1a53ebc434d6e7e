/**
 * Imports a King County house-sales CSV (kc_house_data.csv layout) into one organization as
 * Closed listings, straight into the listings schema (no gateway, no NATS), in one transaction of
 * batched multi-row upserts. Idempotent: running it again with the same file creates nothing.
 * Events go to the outbox; the listings service's relay publishes them when it runs.
 *
 *   npx nx run listings:import-king-county --org <organization uuid> --file ../shared/data/king-county/kc_house_data.csv [--list-agent <user uuid>]
 *   (builds first; or, once built: node dist/apps/listings/apps/listings/src/cli/import-king-county.js --org … --file …)
 *
 * Environment: LISTINGS_DATABASE_URL, LISTINGS_DATABASE_SCHEMA (default listings), KAFKA_TOPIC_PREFIX.
 * Prints the import result as JSON; exit code 0 when done, 1 on error, 2 on bad arguments.
 */
import * as fs from 'node:fs';
import { DataSource } from 'typeorm';
import { serviceDataSourceOptions } from '@keyhouse/platform/database';
import { OutboxService, UnitOfWork } from '@keyhouse/platform/messaging';
import { InitialListingsSchema1763769600001 } from '../database/migrations/1763769600001-initial-listings-schema';
import { importKingCountyText } from '../modules/import/property-import.service';
import { PropertyWriter } from '../modules/properties/property-writer.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function argument(args: string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
}

export async function main(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const orgId = argument(args, 'org');
  const file = argument(args, 'file');
  const listAgentId = argument(args, 'list-agent');
  if (!orgId || !UUID.test(orgId) || !file || (listAgentId !== undefined && !UUID.test(listAgentId)) || !env.LISTINGS_DATABASE_URL) {
    process.stderr.write('usage: import-king-county --org <uuid> --file <path> [--list-agent <uuid>] (LISTINGS_DATABASE_URL set)\n');
    return 2;
  }
  const schema = env.LISTINGS_DATABASE_SCHEMA ?? 'listings';
  const dataSource = new DataSource({
    ...serviceDataSourceOptions({
      serviceName: 'listings-import',
      url: env.LISTINGS_DATABASE_URL,
      schema,
      entities: [],
      migrations: [InitialListingsSchema1763769600001],
      statementTimeoutMs: 600_000,
    }),
    migrationsRun: false,
  });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
    const outbox = new OutboxService({ serviceName: 'listings', schema, topicPrefix: env.KAFKA_TOPIC_PREFIX ?? '' });
    // No relay in this process: the service's relay publishes the outbox rows (the insert notifies it).
    const result = await importKingCountyText(
      new UnitOfWork(dataSource, outbox),
      new PropertyWriter(),
      orgId,
      { format: 'king-county', csv: fs.readFileSync(file, 'utf8'), rowOffset: 0, listAgentId },
      { actor: { type: 'system', orgId, role: 'system', teamIds: [], permissions: [] } },
    );
    process.stdout.write(`${JSON.stringify({ ...result, rejectedRows: result.rejectedRows.slice(0, 20) }, null, 2)}\n`);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`import failed: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
