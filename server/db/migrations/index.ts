// Every migration, in order. Append only: never edit one that has shipped.
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import * as m0001 from './0001-directory.js';
import * as m0002 from './0002-access.js';
import * as m0003 from './0003-imports.js';
import * as m0004 from './0004-organization.js';
import * as m0005 from './0005-profiles.js';
import * as m0006 from './0006-search-covering-index.js';
import * as m0007 from './0007-candidate-name-order.js';
import * as m0008 from './0008-decision-facts.js';
import * as m0009 from './0009-search-name-tiers.js';
import * as m0010 from './0010-unique-departments-agent-ids.js';
import * as m0011 from './0011-sign-in-throttle.js';
import * as m0012 from './0012-import-encoding.js';
import * as m0013 from './0013-account-security.js';
import * as m0014 from './0014-scim.js';
import * as m0015 from './0015-event-sequence.js';
import * as m0016 from './0016-webhooks.js';
import * as m0017 from './0017-email-index.js';
import * as m0018 from './0018-facet-counts-at-commit.js';
import * as m0019 from './0019-email-index-case.js';
import * as m0020 from './0020-directory-connections.js';
import * as m0021 from './0021-search-folding.js';
import * as m0022 from './0022-directory-sync.js';
import * as m0023 from './0023-drop-trigram-vocabulary.js';
import * as m0024 from './0024-drop-name-tiers.js';
import * as m0025 from './0025-enabling-clears-sync-mark.js';
import * as m0026 from './0026-trigram-index-parts.js';
import * as m0027 from './0027-search-word-starts.js';
import * as m0028 from './0028-word-start-table.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations do not know today's schema.
type Step = (db: Kysely<any>, dialect: Dialect) => Promise<void>;

export const migrations: Record<string, { up: Step; down: Step }> = {
  '0001-directory': m0001,
  '0002-access': m0002,
  '0003-imports': m0003,
  '0004-organization': m0004,
  '0005-profiles': m0005,
  '0006-search-covering-index': m0006,
  '0007-candidate-name-order': m0007,
  '0008-decision-facts': m0008,
  '0009-search-name-tiers': m0009,
  '0010-unique-departments-agent-ids': m0010,
  '0011-sign-in-throttle': m0011,
  '0012-import-encoding': m0012,
  '0013-account-security': m0013,
  '0014-scim': m0014,
  '0015-event-sequence': m0015,
  '0016-webhooks': m0016,
  '0017-email-index': m0017,
  '0018-facet-counts-at-commit': m0018,
  '0019-email-index-case': m0019,
  '0020-directory-connections': m0020,
  '0021-search-folding': m0021,
  '0022-directory-sync': m0022,
  '0023-drop-trigram-vocabulary': m0023,
  '0024-drop-name-tiers': m0024,
  '0025-enabling-clears-sync-mark': m0025,
  '0026-trigram-index-parts': m0026,
  '0027-search-word-starts': m0027,
  '0028-word-start-table': m0028,
};
