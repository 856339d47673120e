import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Deploy a new version of one service and wait until it is Ready',
    example: yaml.stringify({
      steps: [
        {
          id: 'deploy',
          action: 'environments:deploy',
          name: 'Deploy game 20210501',
          input: {
            name: 'feature-login',
            services: [{ name: 'game', version: '20210501' }],
          },
        },
      ],
    }),
  },
  {
    description: 'Deploy several services at once, one with a full image',
    example: yaml.stringify({
      steps: [
        {
          id: 'deploy',
          action: 'environments:deploy',
          name: 'Deploy the release candidate',
          input: {
            name: 'integration',
            services: [
              { name: 'global', version: '2.3.0' },
              { name: 'gateway', image: 'registry.local/island/gateway:rc-7' },
            ],
            timeoutMinutes: 20,
          },
        },
      ],
    }),
  },
];
