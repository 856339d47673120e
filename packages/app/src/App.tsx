import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { navModule } from './modules/nav';
import { homeModule } from './modules/home';
import { signalsModule } from './modules/signals';

export default createApp({
  features: [catalogPlugin, navModule, homeModule, signalsModule],
});
