export * from './follow-block';
export * from './heads';
export * from './reconcile';
