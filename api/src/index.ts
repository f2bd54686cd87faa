export { createApp } from './http/app';
export type { AppDeps } from './http/deps';
export { type Listening, listen } from './http/server';
export { openApiDocument } from './openapi/document';
