#!/usr/bin/env node
// Loads the TypeScript entry point through tsx's loader in this same process (no build step,
// and signals such as SIGTERM reach the server directly).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
