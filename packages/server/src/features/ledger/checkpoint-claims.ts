/** Where a workspace's first checkpoint starts: checkpoints tile time from here, with no hole. */
export const EPOCH = '1970-01-01T00:00:00.000Z';
/** The `type` claim of a signed checkpoint. */
export const CHECKPOINT_TYPE = 'assent.ledger.checkpoint';
