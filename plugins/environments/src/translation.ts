import { createTranslationRef } from '@backstage/core-plugin-api/alpha';

/**
 * Every text the environments pages show, in English. Simplified Chinese is in
 * translations/zh.ts; apps offer it when `zh` is one of their available languages.
 */
export const environmentsMessages = {
  plugin: {
    title: 'Environments',
    subtitle:
      'Dedicated, minimal environments on Kubernetes. Each environment is an island.',
  },
  phase: {
    Creating: 'Creating',
    Ready: 'Ready',
    Degraded: 'Degraded',
    Stopped: 'Stopped',
    Failed: 'Failed',
    Destroying: 'Destroying',
    Expired: 'Expired',
    Destroyed: 'Destroyed',
  },
  health: {
    Ready: 'Ready',
    Progressing: 'Progressing',
    Degraded: 'Degraded',
    Stopped: 'Stopped',
    Failed: 'Failed',
    Missing: 'Missing',
  },
  purpose: {
    feature: 'Feature',
    integration: 'Integration',
    perf: 'Performance',
    sandbox: 'Sandbox',
  },
  operationType: {
    create: 'Create',
    deploy: 'Deploy',
    stop: 'Stop',
    start: 'Start',
    restart: 'Restart',
    rollback: 'Roll back',
    extend: 'Extend',
    destroy: 'Destroy',
    expire: 'Expire',
    repair: 'Drift repair',
    'island-add': 'Add islands',
    'island-stop': 'Stop island',
    'island-start': 'Start island',
    'island-restart': 'Restart island',
    'island-remove': 'Remove island',
    clock: 'Set clock',
  },
  operationStatus: {
    pending: 'Queued',
    running: 'Running',
    succeeded: 'Succeeded',
    failed: 'Failed',
    skipped: 'Skipped',
  },
  time: {
    never: 'never',
    expired: 'expired',
    in: 'in {{time}}',
    ago: '{{time}} ago',
  },
  list: {
    create: 'Create environment',
    mine: 'Mine',
    team: 'My teams',
    all: 'All',
    search: 'Search by name, title or service',
    anyStatus: 'Any status',
    anyPurpose: 'Any purpose',
    anyOwner: 'Any owner',
    status: 'Status',
    purpose: 'Purpose',
    owner: 'Owner',
    tableTitle: 'Environments ({{total}})',
    empty: 'No environments match these filters.',
    emptyHint: 'Create one from a software template.',
    columns: {
      name: 'Name',
      status: 'Status',
      services: 'Services',
      owner: 'Owner',
      base: 'Base',
      cluster: 'Cluster',
      expires: 'Expires',
    },
  },
  page: {
    type: 'Environment',
    status: 'Status',
    owner: 'Owner',
    base: 'Base',
    cluster: 'Cluster',
    expires: 'Expires',
    revision: 'Revision',
    noBase: 'none',
    notFound: 'There is no environment named "{{name}}".',
    destroyed:
      'This environment was destroyed {{time}}. What it ran is shown as it was last recorded.',
    live: 'Live',
    offline:
      'Live updates are not available in this portal; reload to see changes.',
    tabs: {
      topology: 'Topology',
      pods: 'Pods',
      logs: 'Logs',
      events: 'Events',
      history: 'History',
      registry: 'Registry',
    },
  },
  actions: {
    deploy: 'Deploy',
    deployService: 'Deploy {{service}}',
    start: 'Start',
    stop: 'Stop',
    restart: 'Restart',
    startAll: 'Start all services',
    stopAll: 'Stop all services',
    restartAll: 'Restart all services',
    control: 'Services',
    rollback: 'Roll back',
    extend: 'Extend',
    destroy: 'Destroy',
    cancel: 'Cancel',
    close: 'Close',
    denied:
      'You may not {{action}} this environment: the permission policy refuses {{permission}}. Its owner is {{owner}}.',
    deniedAction: {
      update: 'change',
      delete: 'destroy',
      logs: 'read the logs of',
    },
    inactive: 'This environment is {{phase}}.',
    requested: '{{type}} requested',
    failed: '{{type}} failed: {{error}}',
    succeeded: '{{type}} succeeded',
    refused: '{{type}} was refused: {{error}}',
  },
  deploy: {
    title: 'Deploy new versions',
    titleService: 'Deploy a new version of {{service}}',
    intro:
      'Give the version to deploy for each service to change; leave the others empty. Each deploy records a new revision that you can roll back.',
    current: 'now {{version}}',
    version: 'New version of {{service}}',
    nothing: 'Give at least one new version.',
    submit: 'Deploy',
  },
  extend: {
    title: 'Extend the lifetime of {{name}}',
    intro:
      'The environment is reclaimed when it expires ({{expires}}). Extend it by:',
    ttl: 'Extend by',
    custom: 'Other duration',
    customHelp: 'A duration such as 90m, 12h, 3d or 2w.',
    submit: 'Extend',
    limit:
      'Each purpose has a longest lifetime; an extension past it stops there.',
  },
  rollback: {
    title: 'Roll back {{name}} to revision {{revision}}',
    intro:
      'This records a new revision with the spec of revision {{revision}} and applies it.',
    submit: 'Roll back',
  },
  destroy: {
    title: 'Destroy {{name}}',
    intro:
      'This deletes namespace {{namespace}} and everything in it, and deregisters every instance. It cannot be undone.',
    confirm: 'Type {{name}} to confirm',
    mismatch: 'does not match the environment name',
    submit: 'Destroy',
    dependants: 'Environments that use it as their base',
    dependantsRefuse: 'Keep it if any does',
    dependantsOrphan: 'Leave them, without this base',
    dependantsDestroy: 'Destroy them too',
  },
  operation: {
    title: '{{type}} · {{status}}',
    by: 'requested by {{user}} {{time}}',
    steps: 'Steps',
    error: 'Error',
    attempts: 'attempt {{attempt}}',
    dismiss: 'Dismiss',
  },
  topology: {
    title: 'Services',
    empty: 'This environment runs no services.',
    fallsBackTo: 'falls back to {{environment}}',
    from: 'from {{environment}}',
    unanswered: 'not run here, and no base runs it',
    readyOf: '{{ready}}/{{total}} ready',
    registry: 'Registry',
    pods: 'Pods',
    logs: 'Logs',
    address: 'Address',
    columns: {
      service: 'Service',
      kind: 'Kind',
      version: 'Version',
      ready: 'Ready',
      health: 'Health',
      reasons: 'Why',
      actions: 'Actions',
    },
  },
  pods: {
    title: 'Pods ({{total}})',
    anyService: 'All services',
    service: 'Service',
    empty: 'No pods.',
    logs: 'Logs',
    columns: {
      name: 'Name',
      service: 'Service',
      phase: 'Phase',
      ready: 'Ready',
      restarts: 'Restarts',
      age: 'Age',
      node: 'Node',
      ip: 'IP',
      version: 'Version',
      reason: 'Reason',
    },
  },
  logs: {
    pod: 'Pod',
    container: 'Container',
    since: 'Since',
    sinceOptions: {
      '1m': 'the last minute',
      '5m': 'the last 5 minutes',
      '15m': 'the last 15 minutes',
      '1h': 'the last hour',
      '6h': 'the last 6 hours',
      '1d': 'the last day',
      all: 'the beginning',
    },
    sinceTime: '{{time}}',
    sinceOther: 'the last {{since}}',
    badSince:
      'since: "{{since}}" is not a duration such as 10m, 2h or 1d. Showing the last 15 minutes.',
    badSinceTime:
      'sinceTime: "{{sinceTime}}" is not an ISO 8601 date-time. Showing the last 15 minutes.',
    follow: 'Follow',
    wrap: 'Wrap lines',
    choosePod: 'Choose a pod to read its logs.',
    noPods: 'This environment has no pods.',
    following: 'Following: new lines appear as they are written.',
    ended: 'The log ends here.',
    truncated: 'Showing the last {{lines}} lines.',
    failed: 'Could not read the log: {{error}}',
    denied: 'You may not read the logs of this environment.',
    missingPod:
      'There is no pod {{pod}} in this environment any more. Choose another.',
  },
  events: {
    title: 'Events',
    empty: 'No events in the last hour.',
    columns: {
      type: 'Type',
      reason: 'Reason',
      object: 'Object',
      message: 'Message',
      count: 'Count',
      last: 'Last seen',
    },
  },
  history: {
    operations: 'Operations',
    revisions: 'Revisions',
    current: 'current',
    compare: 'Compare with previous',
    rollback: 'Roll back to this revision',
    diffTitle: 'Changes from revision {{from}} to revision {{to}}',
    noDiff: 'The two revisions have the same spec.',
    from: 'From',
    to: 'To',
    columns: {
      type: 'Operation',
      status: 'Status',
      requestedBy: 'Requested by',
      created: 'Requested',
      duration: 'Took',
      revision: 'Revision',
      reason: 'Reason',
      createdBy: 'By',
      actions: 'Actions',
      error: 'Error',
    },
  },
  registry: {
    instances: 'Instances',
    resolved: 'Answered by a base environment',
    resolvedEmpty: 'Every service is answered by this environment.',
    empty: 'No instances are registered.',
    columns: {
      service: 'Service',
      version: 'Version',
      instance: 'Instance',
      address: 'Address',
      ports: 'Ports',
      ready: 'Ready',
      node: 'Node',
      registered: 'Registered',
      answeredBy: 'Answered by',
      chain: 'Asked',
      instanceCount: 'Ready instances',
    },
  },
  entity: {
    title: 'Environments',
    runsIn: 'Environments running {{component}}',
    empty: '{{component}} does not run in any environment.',
    notEnvironment:
      'This entity is not an Archipelago environment (it has no archipelago.dev/environment annotation).',
    columns: {
      environment: 'Environment',
      service: 'Service',
      version: 'Version',
      serviceStatus: 'Service status',
      environmentStatus: 'Environment status',
      owner: 'Owner',
      purpose: 'Purpose',
      expires: 'Expires',
    },
  },
  common: {
    yes: 'yes',
    no: 'no',
    loading: 'Loading…',
    error: 'Could not load: {{error}}',
  },
} as const;

/** The same nesting as the English messages, every leaf a string: what a translation gives. */
export type EnvironmentsMessages<T = typeof environmentsMessages> = {
  [K in keyof T]: T[K] extends string ? string : EnvironmentsMessages<T[K]>;
};

/** Flattens nested messages into the dotted keys the translation API uses. */
export function flattenMessages(
  nested: object,
  prefix = '',
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(nested)) {
    if (typeof value === 'string') out[`${prefix}${key}`] = value;
    else Object.assign(out, flattenMessages(value, `${prefix}${key}.`));
  }
  return out;
}

export const environmentsTranslationRef = createTranslationRef({
  id: 'environments',
  messages: environmentsMessages,
  translations: {
    // translations/zh.ts is typed against the English messages, so it has every key.
    zh: () => import('./translations/zh') as Promise<{ default: any }>,
  },
});
