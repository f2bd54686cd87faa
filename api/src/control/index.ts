export * from './control';
export * from './notices';
