import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { EnvironmentConfig } from '@archipelago/plugin-environments-common';
import { FakeEnvironmentsApi, environment } from '../../__testUtils__/fakes';
import { renderEnvironments } from '../../__testUtils__/render';

const CONFIG: EnvironmentConfig = {
  revision: 4,
  base: 'integration',
  services: [
    {
      name: 'game',
      inheritConfig: true,
      inheritsFrom: 'integration',
      env: [
        {
          name: 'LOG_LEVEL',
          value: 'info',
          source: { from: 'definition' },
        },
        {
          name: 'MATCH_URL',
          value: 'http://match.env-integration',
          source: { from: 'base', environment: 'integration' },
          next: {
            value: 'http://match-v2.env-integration',
            source: { from: 'base', environment: 'integration' },
          },
        },
        {
          name: 'FEATURE_LOGIN_V2',
          value: 'true',
          source: { from: 'environment' },
        },
        {
          name: 'REGION',
          source: { from: 'definition' },
          next: { value: 'eu-1', source: { from: 'definition' } },
        },
        {
          name: 'OLD_FLAG',
          value: 'x',
          source: { from: 'base', environment: 'integration' },
          next: {},
        },
      ],
      configFiles: [
        {
          name: '/etc/game/game.yaml',
          value: 'tick: 20\nmaxPlayers: 64\n',
          source: { from: 'base', environment: 'integration' },
        },
      ],
      secrets: [{ name: 'DB_PASSWORD', secret: 'game-db', key: 'password' }],
      changedSinceDeploy: true,
    },
    {
      name: 'gateway',
      inheritConfig: false,
      env: [{ name: 'PORT', value: '8080', source: { from: 'environment' } }],
      configFiles: [],
      secrets: [],
      changedSinceDeploy: false,
    },
  ],
};

function setup(config: EnvironmentConfig = CONFIG) {
  const api = new FakeEnvironmentsApi([
    environment('feature-login'),
    environment('integration', { base: undefined, purpose: 'integration' }),
  ]);
  api.configs.set('feature-login', config);
  return api;
}

const row = (section: HTMLElement, name: string) =>
  within(section).getByText(name).closest('tr')!;

describe('ConfigTab', () => {
  it('shows where each value comes from, and which base a service inherits from', async () => {
    const api = setup();
    await renderEnvironments('/environments/feature-login/config', { api });

    const game = await screen.findByRole('region', { name: 'game' });
    expect(
      within(game).getByRole('heading', { name: 'game' }),
    ).toBeInTheDocument();
    expect(within(game).getByText(/inherits from/)).toHaveTextContent(
      'inherits from integration',
    );
    expect(
      within(game).getByRole('link', { name: 'integration' }),
    ).toHaveAttribute('href', '/environments/integration/config');

    expect(
      within(row(game, 'LOG_LEVEL')).getByText('definition'),
    ).toBeInTheDocument();
    expect(
      within(row(game, 'LOG_LEVEL')).getByText('info'),
    ).toBeInTheDocument();
    expect(
      within(row(game, 'MATCH_URL')).getByText('base: integration'),
    ).toBeInTheDocument();
    expect(
      within(row(game, 'FEATURE_LOGIN_V2')).getByText('this environment'),
    ).toBeInTheDocument();

    // A config file: its path, its content in a block, and its source.
    const file = row(game, '/etc/game/game.yaml');
    expect(within(file).getByText('File')).toBeInTheDocument();
    const content = file.querySelector('pre')!;
    expect(content.textContent).toBe('tick: 20\nmaxPlayers: 64\n');
    expect(within(file).getByText('base: integration')).toBeInTheDocument();

    expect(screen.getByText(/as revision #4 pinned them/)).toBeInTheDocument();
    expect(api.callsOf('getConfig')).toContainEqual(['feature-login']);
  });

  it('says what would refuse a deploy now, by field', async () => {
    const api = setup({
      ...CONFIG,
      deployProblems: [
        {
          path: 'services[0].configFiles',
          message: 'must total at most 256KiB',
        },
      ],
    });
    await renderEnvironments('/environments/feature-login/config', { api });
    const problems = await screen.findByTestId('config-deploy-problems');
    expect(problems).toHaveTextContent('A deploy now would be refused');
    expect(problems).toHaveTextContent(
      'services[0].configFiles: must total at most 256KiB',
    );
  });

  it('shows no deploy problems when there are none', async () => {
    await renderEnvironments('/environments/feature-login/config', {
      api: setup(),
    });
    await screen.findByRole('region', { name: 'game' });
    expect(screen.queryByTestId('config-deploy-problems')).toBeNull();
  });

  it('shows what the next deploy would change, and says that it would', async () => {
    const api = setup();
    await renderEnvironments('/environments/feature-login/config', { api });
    const game = await screen.findByRole('region', { name: 'game' });

    expect(
      within(game).getByText(
        'A deploy of game would change its configuration (its base or definition changed since).',
      ),
    ).toBeInTheDocument();
    expect(
      within(game).getByRole('columnheader', { name: 'Next deploy' }),
    ).toBeInTheDocument();

    const changed = row(game, 'MATCH_URL');
    expect(changed).toHaveTextContent('→');
    expect(
      within(changed).getByText('http://match-v2.env-integration'),
    ).toBeInTheDocument();
    // The source stays the same: it is not repeated.
    expect(within(changed).getAllByText('base: integration')).toHaveLength(1);

    const added = row(game, 'REGION');
    expect(within(added).getByText('not set yet')).toBeInTheDocument();
    expect(within(added).getByText('added')).toBeInTheDocument();
    expect(within(added).getByText('eu-1')).toBeInTheDocument();

    expect(
      within(row(game, 'OLD_FLAG')).getByText('removed'),
    ).toBeInTheDocument();
    // Unchanged entries have nothing in the column.
    const unchanged = row(game, 'LOG_LEVEL');
    expect(unchanged).not.toHaveTextContent('→');
    expect(unchanged).not.toHaveTextContent(/added|removed/);

    // A service nothing changes for has neither the note nor the column.
    const gateway = screen.getByRole('region', { name: 'gateway' });
    expect(within(gateway).queryByText(/would change/)).not.toBeInTheDocument();
    expect(
      within(gateway).queryByRole('columnheader', { name: 'Next deploy' }),
    ).not.toBeInTheDocument();
  });

  it('says when a service does not inherit from the base', async () => {
    const api = setup();
    await renderEnvironments('/environments/feature-login/config', { api });
    const gateway = await screen.findByRole('region', { name: 'gateway' });
    expect(
      within(gateway).getByText('does not inherit (inheritConfig: false)'),
    ).toBeInTheDocument();
    expect(
      within(gateway).queryByText(/inherits from/),
    ).not.toBeInTheDocument();
    expect(within(row(gateway, 'PORT')).getByText('8080')).toBeInTheDocument();
  });

  it('says nothing about inheritance in an environment without a base', async () => {
    const api = setup();
    api.configs.set('integration', {
      revision: 1,
      services: [{ ...CONFIG.services[1], name: 'global' }],
    });
    await renderEnvironments('/environments/integration/config', { api });
    const global = await screen.findByRole('region', { name: 'global' });
    expect(within(global).getByText('8080')).toBeInTheDocument();
    expect(within(global).queryByText(/inherit/)).not.toBeInTheDocument();
  });

  it('lists secrets by their reference, never a value', async () => {
    const api = setup();
    await renderEnvironments('/environments/feature-login/config', { api });
    const game = await screen.findByRole('region', { name: 'game' });
    const secret = row(game, 'DB_PASSWORD');
    expect(within(secret).getByText('Secret')).toBeInTheDocument();
    expect(
      within(secret).getByText('Secret game-db, key password'),
    ).toBeInTheDocument();
    expect(secret.querySelector('pre')).toBeNull();
    expect(secret.querySelectorAll('code')).toHaveLength(1); // the name only
  });

  it('says so when the environment runs no services', async () => {
    const api = setup({ revision: 1, base: 'integration', services: [] });
    await renderEnvironments('/environments/feature-login/config', { api });
    expect(
      await screen.findByText('This environment runs no services.'),
    ).toBeInTheDocument();
    expect(screen.queryByRole('region')).not.toBeInTheDocument();
  });

  it('shows the error when the configuration cannot be loaded', async () => {
    const api = setup();
    api.getConfig = async () => {
      throw new Error('config store unavailable');
    };
    await renderEnvironments('/environments/feature-login/config', { api });
    expect(
      (await screen.findAllByText(/config store unavailable/)).length,
    ).toBeGreaterThan(0);
    expect(screen.queryByRole('region')).not.toBeInTheDocument();
  });

  it('is a tab of the environment, reached by its deep link', async () => {
    const api = setup();
    await renderEnvironments('/environments/feature-login', { api });
    const tab = await screen.findByRole('tab', { name: 'Config' });
    expect(tab).toHaveAttribute('aria-selected', 'false');
    expect(api.callsOf('getConfig')).toEqual([]);

    await userEvent.click(tab);
    expect(
      await screen.findByRole('region', { name: 'game' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Config' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    expect(api.callsOf('getConfig')).toContainEqual(['feature-login']);
  });
});
