/**
 * Extension points of Archipelago's environments backend.
 *
 * @packageDocumentation
 */
import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { RegistryEntry } from '@archipelago/plugin-environments-common';

/** A change to the service registry, delivered to every registrar. */
export interface RegistrationEvent {
  /** register: an instance became ready (or changed); deregister: it stopped or went away. */
  action: 'register' | 'deregister';
  entry: RegistryEntry;
}

/**
 * Registers service instances in a studio's own registry (seed 002 registers each game server
 * into the studio's database when it starts). Registrars run after the built-in registry is
 * updated; a failure is retried with backoff and shown in the environment's registry view, and
 * never blocks the environment.
 */
export interface EnvironmentRegistrar {
  /** A short, unique name, shown next to the registrar's status. */
  readonly name: string;
  /** Called once per event; throw to have the event retried. */
  handle(event: RegistrationEvent): Promise<void>;
}

export interface EnvironmentsRegistrarExtensionPoint {
  addRegistrar(...registrars: EnvironmentRegistrar[]): void;
}

/** Lets backend modules add registrars to the environments backend. */
export const environmentsRegistrarExtensionPoint =
  createExtensionPoint<EnvironmentsRegistrarExtensionPoint>({
    id: 'environments.registrars',
  });

export * from './permissions';
