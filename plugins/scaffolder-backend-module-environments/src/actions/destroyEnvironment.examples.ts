import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Destroy an environment and wait until nothing of it remains',
    example: yaml.stringify({
      steps: [
        {
          id: 'destroy',
          action: 'environments:destroy',
          name: 'Destroy the feature environment',
          input: { name: 'feature-login' },
        },
      ],
    }),
  },
];
