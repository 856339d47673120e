/**
 * Archipelago's environments backend plugin.
 *
 * @packageDocumentation
 */
export { environmentsPlugin as default } from './plugin';
export { renderEnvironment } from './render/render';
export type { Manifest, RenderInput, Sizing, Fallback } from './render/render';
