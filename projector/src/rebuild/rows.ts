/** Moved to ../store/copy-rows.ts (the live projector's writes use it too); re-exported for the rebuild. */
export * from '../store/copy-rows';
