/**
 * archipelago: Archipelago's environments from CI (docs/ci.md).
 *
 * @packageDocumentation
 */
export { main, substitute, EXIT, USAGE } from './cli';
export type { CliIo } from './cli';
