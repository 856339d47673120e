import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

const step = (name: string, input: Record<string, unknown>) =>
  yaml.stringify({
    steps: [{ id: 'release', action: 'environments:release', name, input }],
  });

export const examples: TemplateExample[] = [
  {
    description:
      'Send clients that say Version: 1.0.0001 to the new http version, and 10% of the rest',
    example: step('Gray release of http 1.0.0001', {
      name: 'integration',
      action: 'start',
      service: 'http',
      version: '1.0.0001',
      header: '1.0.0001',
      weight: 10,
    }),
  },
  {
    description: 'Then send it all of the traffic no header rule takes',
    example: step('Weight 100', {
      name: 'integration',
      action: 'weight',
      service: 'http',
      version: '1.0.0001',
      weight: 100,
    }),
  },
  {
    description:
      'Promote the new socket version: it becomes the only one, and the old one drains and goes',
    example: step('Promote connector 1.0.0001', {
      name: 'integration',
      action: 'promote',
      service: 'connector',
      version: '1.0.0001',
    }),
  },
  {
    description: 'Abort a release: the new version goes, the current one stays',
    example: step('Abort http 1.0.0001', {
      name: 'integration',
      action: 'abort',
      service: 'http',
      version: '1.0.0001',
    }),
  },
];
