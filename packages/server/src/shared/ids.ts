import { v7 } from 'uuid';

/** A UUIDv7: time-ordered, so ids sort by creation and serve as cursors. */
export const newId = (): string => v7();

/** Now as RFC 3339 UTC with milliseconds, the one timestamp format stored. */
export const nowIso = (): string => new Date().toISOString();
