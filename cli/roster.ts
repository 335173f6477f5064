// The `roster` command line: serve, migrate, create an account with its owner.
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config.js';
import { createContext } from '../server/context.js';
import { migrateDown, migrateToLatest, openDatabase } from '../server/db/index.js';
import { AppError } from '../server/errors.js';
import { startServer } from '../server/main.js';

const HELP = `Usage: roster <command> [options]

Commands:
  serve                       Start Roster (console + API). Creates the first account on first start.
  migrate [--down]            Bring the database schema up to date (or undo the last migration).
  create-account --name NAME --owner USERNAME [--slug SLUG] [--owner-email EMAIL]
                              Create an account (tenant) and its unique owner; prints the owner's one-time password.

Options:
  --db URL                    SQLite file path or postgres:// URL (default: $ROSTER_DB or ./data/roster.db)
  --port N, --host HOST       Where serve listens (default: $ROSTER_PORT or 8080 on $ROSTER_HOST or 127.0.0.1)
  -h, --help                  Show this help
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      name: { type: 'string' },
      slug: { type: 'string' },
      owner: { type: 'string' },
      'owner-email': { type: 'string' },
      down: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 1;
  }
  const config = loadConfig({
    ...process.env,
    ...(values.db ? { ROSTER_DB: values.db } : {}),
    ...(values.port ? { ROSTER_PORT: values.port } : {}),
    ...(values.host ? { ROSTER_HOST: values.host } : {}),
  });

  switch (command) {
    case 'serve': {
      const running = await startServer(config);
      const stop = async () => {
        await running.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return -1;
    }
    case 'migrate': {
      const database = openDatabase(config.databaseUrl);
      try {
        if (values.down) {
          const undone = await migrateDown(database);
          console.log(undone ? `Undid ${undone}` : 'Nothing to undo');
        } else {
          const applied = await migrateToLatest(database);
          console.log(applied.length ? `Applied ${applied.join(', ')}` : 'The database is up to date');
        }
      } finally {
        await database.close();
      }
      return 0;
    }
    case 'create-account': {
      if (!values.name || !values.owner) {
        console.error('create-account needs --name and --owner');
        return 1;
      }
      const database = openDatabase(config.databaseUrl);
      try {
        await migrateToLatest(database);
        const ctx = createContext(config, database);
        const created = await ctx.accounts.create({
          name: values.name,
          slug: values.slug,
          owner: { username: values.owner, email: values['owner-email'] },
        });
        console.log(`Created account "${created.account.name}" (sign-in account: ${created.account.slug})`);
        console.log(`Owner: ${created.owner.username}, one-time password: ${created.oneTimePassword}`);
        console.log('The owner chooses a new password at first sign-in.');
      } finally {
        await database.close();
      }
      return 0;
    }
    default:
      console.error(`Unknown command: ${command}\n`);
      process.stderr.write(HELP);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof AppError) {
      const fields = error.fields?.map((f) => ` (${f.path}: ${f.message})`).join('') ?? '';
      console.error(`roster: ${error.message}${fields}`);
    } else {
      console.error('roster:', error instanceof Error ? error.message : error);
    }
    process.exitCode = 1;
  },
);
