import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'A minimal environment: one service at one version, as short as seed 000 asks',
    example: yaml.stringify({
      steps: [
        {
          id: 'environment',
          action: 'environments:create',
          name: 'Create the environment',
          input: {
            name: 'shop-api-sandbox',
            purpose: 'sandbox',
            services: [{ name: 'shop-api', version: '1.4.2' }],
          },
        },
      ],
    }),
  },
  {
    description:
      'A feature environment for a branch, falling back to the integration environment for everything it does not run',
    example: yaml.stringify({
      steps: [
        {
          id: 'environment',
          action: 'environments:create',
          name: 'Create the feature environment',
          input: {
            // The branch names it (feature/Login_v2 is feature-login-v2), as CI's pushes do.
            branch: '${{ parameters.branch }}',
            purpose: 'feature',
            base: 'integration',
            ttl: '3d',
            services: [
              { name: 'game', version: '${{ parameters.gameVersion }}' },
              { name: 'matching', version: '1.0.0', replicas: 2 },
            ],
            timeoutMinutes: 15,
          },
        },
      ],
      output: {
        links: [
          {
            title: 'Open the environment',
            url: '${{ steps.environment.output.url }}',
          },
        ],
      },
    }),
  },
  {
    description: 'Create without waiting for Ready',
    example: yaml.stringify({
      steps: [
        {
          id: 'environment',
          action: 'environments:create',
          name: 'Queue the environment',
          input: {
            name: 'perf-run-42',
            purpose: 'perf',
            services: [{ name: 'global' }, { name: 'game' }],
            wait: false,
          },
        },
      ],
    }),
  },
];
