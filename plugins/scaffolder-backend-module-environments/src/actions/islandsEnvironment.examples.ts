import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Start three more islands of a game server',
    example: yaml.stringify({
      steps: [
        {
          id: 'islands',
          action: 'environments:islands',
          name: 'Start islands',
          input: {
            name: 'qa-weekly',
            action: 'add',
            service: 'altraserver',
            count: 3,
          },
        },
      ],
    }),
  },
  {
    description: 'Move the clock of one island to a day in 2021',
    example: yaml.stringify({
      steps: [
        {
          id: 'clock',
          action: 'environments:islands',
          name: 'Set the clock of island 269',
          input: {
            name: 'qa-weekly',
            action: 'clock',
            island: 269,
            clock: { start: '2021-09-18 23:30:07' },
          },
        },
      ],
    }),
  },
  {
    description: 'Restart island 269 (same id and ports, new Pod)',
    example: yaml.stringify({
      steps: [
        {
          id: 'restart',
          action: 'environments:islands',
          name: 'Restart island 269',
          input: { name: 'qa-weekly', action: 'restart', island: 269 },
        },
      ],
    }),
  },
];
