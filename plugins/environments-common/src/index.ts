/**
 * Common parts of Archipelago's environments plugins: the spec schema, types, permissions,
 * labels and the REST API client.
 *
 * @packageDocumentation
 */
export * from './spec/primitives';
export * from './spec/schema';
export * from './spec/operations';
export * from './spec/validation';
export * from './spec/kinds';
export * from './spec/islands';
export * from './spec/releases';
export * from './types';
export * from './labels';
export * from './links';
export * from './terminal';
export * from './branches/branches';
export * from './permissions';
export * from './client/EnvironmentsClient';
