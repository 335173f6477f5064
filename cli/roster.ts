// The `roster` command line: serve, migrate, accounts, access types, unlocking, import, export and directory sync.
import { parseArgs } from 'node:util';
import { type Config, loadConfig } from '../server/config.js';
import { type AppContext, createContext } from '../server/context.js';
import { migrateDown, migrateToLatest, openDatabase } from '../server/db/index.js';
import { AppError } from '../server/errors.js';
import { startServer } from '../server/main.js';
import type { Actor } from '../server/policy.js';
import { ACCESS_TYPE_LABELS, ACCESS_TYPES } from '../shared/constants.js';
import { userUpdateSchema } from '../shared/schemas.js';
import { syncDirectory } from './sync.js';
import { exportUsers, importFile, ownerOf } from './transfer.js';

const HELP = `Usage: roster <command> [options]

Commands:
  serve                       Start Roster (console + API). Creates the first account on first start.
  migrate [--down]            Bring the database schema up to date (or undo the last migration).
  create-account --name NAME --owner USERNAME [--slug SLUG] [--owner-email EMAIL]
                              Create an account (tenant) and its unique owner; prints the owner's one-time password.
  import FILE [--mode create|upsert] [--partial] [--invite] [--account SLUG] [--passwords OUT]
                              Import users from a CSV, TXT, XLSX or ODS file (all or nothing unless --partial);
                              generated passwords go to OUT (default FILE.passwords.csv); --invite mails every
                              created user with an email an invitation (a running server sends the outbox).
  export [--format csv|xlsx] [--out FILE] [--account SLUG]
                              Export every user of the account (to stdout without --out).
  set-access USERNAME --access-type TYPE [--account SLUG]
                              Set a user's access type, including Scorer, which the console never gives.
  sync CONNECTION [--preview] [--incremental] [--account SLUG]
                              Sync users and groups from the directory connection named CONNECTION, showing
                              progress and the counts; --preview only says what a sync would do; --incremental
                              reads only the entries changed since the last sync (and who is gone).
  unlock USERNAME [--account SLUG]
                              Lift a user's sign-in lockout (the owner's too), e.g. with ROSTER_LOCKOUT_MINUTES=0.

Options:
  --db URL                    SQLite file path or postgres:// URL (default: $ROSTER_DB or ./data/roster.db)
  --port N, --host HOST       Where serve listens (default: $ROSTER_PORT or 8080 on $ROSTER_HOST or 127.0.0.1)
  --workers N|auto            Serving processes for serve (default: $ROSTER_WORKERS or 1; auto = one per CPU)
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
      workers: { type: 'string' },
      name: { type: 'string' },
      slug: { type: 'string' },
      owner: { type: 'string' },
      'owner-email': { type: 'string' },
      down: { type: 'boolean' },
      mode: { type: 'string' },
      partial: { type: 'boolean' },
      invite: { type: 'boolean' },
      account: { type: 'string' },
      passwords: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'access-type': { type: 'string' },
      preview: { type: 'boolean' },
      incremental: { type: 'boolean' },
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
    ...(values.workers ? { ROSTER_WORKERS: values.workers } : {}),
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
    case 'unlock': {
      const username = positionals[1];
      if (!username) throw new Error('unlock needs a USERNAME');
      await asOwnerOnUser(config, values.account ?? 'default', username, async (ctx, actor, id) => {
        const unlocked = await ctx.users.unlock(actor, id);
        console.log(`${unlocked.username} is unlocked: they can sign in again`);
      });
      return 0;
    }
    case 'set-access': {
      const username = positionals[1];
      const accessType = values['access-type'];
      if (!username || !accessType) throw new Error('set-access needs a USERNAME and --access-type');
      const input = userUpdateSchema.safeParse({ accessType });
      if (!input.success) throw new Error(`--access-type is one of: ${ACCESS_TYPES.join(', ')}`);
      await asOwnerOnUser(config, values.account ?? 'default', username, async (ctx, actor, id) => {
        const updated = await ctx.users.update(actor, id, input.data);
        console.log(`${updated.username} is now ${ACCESS_TYPE_LABELS[updated.accessType]}`);
      });
      return 0;
    }
    case 'sync': {
      const name = positionals[1];
      if (!name) throw new Error('sync needs the name of a directory connection');
      const database = openDatabase(config.databaseUrl);
      const ctx = createContext(config, database);
      try {
        await migrateToLatest(database);
        const actor = await ownerOf(ctx, values.account ?? 'default');
        return await syncDirectory(ctx, actor, name, {
          preview: values.preview === true,
          incremental: values.incremental === true,
        });
      } finally {
        await ctx.directorySync.stop();
        await database.close();
      }
    }
    case 'import':
    case 'export': {
      const database = openDatabase(config.databaseUrl);
      try {
        await migrateToLatest(database);
        const ctx = createContext(config, database);
        const actor = await ownerOf(ctx, values.account ?? 'default');
        if (command === 'export') {
          const format = values.format ?? 'csv';
          if (format !== 'csv' && format !== 'xlsx') throw new Error('--format is csv or xlsx');
          await exportUsers(ctx, actor, format, values.out);
          return 0;
        }
        const file = positionals[1];
        const mode = values.mode ?? 'create';
        if (!file) throw new Error('import needs a FILE');
        if (mode !== 'create' && mode !== 'upsert') throw new Error('--mode is create or upsert');
        return await importFile(ctx, actor, file, {
          mode,
          partial: values.partial === true,
          invite: values.invite === true,
          passwordsOut: values.passwords ?? `${file}.passwords.csv`,
        });
      } finally {
        await database.close();
      }
    }
    default:
      console.error(`Unknown command: ${command}\n`);
      process.stderr.write(HELP);
      return 1;
  }
}

/** Runs `work` as the account's owner on the user named `username` (the account's own commands act as its owner). */
async function asOwnerOnUser(
  config: Config,
  account: string,
  username: string,
  work: (ctx: AppContext, actor: Actor, userId: number) => Promise<void>,
): Promise<void> {
  const database = openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(database);
    const ctx = createContext(config, database);
    const actor = await ownerOf(ctx, account);
    const user = await ctx.database.db
      .selectFrom('users')
      .select('id')
      .where('account_id', '=', actor.accountId)
      .where('username', '=', username.toLowerCase())
      .executeTakeFirst();
    if (!user) throw new Error(`No user "${username}" in account "${account}"`);
    await work(ctx, actor, user.id);
  } finally {
    await database.close();
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
