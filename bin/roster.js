#!/usr/bin/env node
// The `roster` command: runs the TypeScript command line through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../cli/roster.ts');
