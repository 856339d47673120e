import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Stop every service of an environment for the night',
    example: yaml.stringify({
      steps: [
        {
          id: 'stop',
          action: 'environments:control',
          name: 'Stop the environment',
          input: { name: 'feature-login', action: 'stop' },
        },
      ],
    }),
  },
  {
    description: 'Restart one service',
    example: yaml.stringify({
      steps: [
        {
          id: 'restart',
          action: 'environments:control',
          name: 'Restart matching',
          input: {
            name: 'feature-login',
            action: 'restart',
            services: ['matching'],
          },
        },
      ],
    }),
  },
];
