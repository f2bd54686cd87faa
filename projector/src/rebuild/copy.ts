/** Moved to ../store/copy.ts (the live projector's writes use it too); re-exported for the rebuild. */
export { CopySink, copyText, copyWait } from '../store/copy';
