import { tabPath } from './useEnvironmentLink';

describe('tabPath', () => {
  it('puts a tab and its query under wherever the view is shown', () => {
    expect(tabPath('/environments/feature-login', 'topology')).toBe(
      '/environments/feature-login',
    );
    expect(
      tabPath('/environments/feature-login/', 'logs', {
        pod: 'game-0',
        container: 'game',
      }),
    ).toBe('/environments/feature-login/logs?pod=game-0&container=game');
    expect(
      tabPath('/catalog/default/resource/feature-login/environment', 'pods', {
        service: 'game',
      }),
    ).toBe(
      '/catalog/default/resource/feature-login/environment/pods?service=game',
    );
  });
});
