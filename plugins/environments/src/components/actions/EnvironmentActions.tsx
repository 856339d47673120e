import { useEffect, useState } from 'react';
import Box from '@material-ui/core/Box';
import Menu from '@material-ui/core/Menu';
import MenuItem from '@material-ui/core/MenuItem';
import ArrowDropDownIcon from '@material-ui/icons/ArrowDropDown';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { environmentsTranslationRef } from '../../translation';
import { ActionButton } from './ActionButton';
import { DeployDialog } from './DeployDialog';
import { ExtendDialog } from './ExtendDialog';
import { DestroyDialog } from './DestroyDialog';
import { useOperationRunner } from './useOperationRunner';
import { useQueryParams } from '../../hooks/useQueryParams';
import { useEnvironmentContext } from '../EnvironmentView/EnvironmentContext';

/** Starts, stops or restarts some services of the environment, or all of them. */
export function useControl() {
  const { request, busy } = useOperationRunner();
  const control = (type: 'start' | 'stop' | 'restart', services?: string[]) =>
    request({ type, services }, { alertOnRefusal: true });
  return { control, busy };
}

type DialogName = 'deploy' | 'extend' | 'destroy';

/** The environment's actions: deploy, start/stop/restart everything, extend, destroy. */
export function EnvironmentActions() {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const { control, busy } = useControl();
  const [dialog, setDialog] = useState<DialogName>();
  const [menu, setMenu] = useState<HTMLElement | null>(null);
  const [params, setParams] = useQueryParams();
  const { permissions, value: env } = useEnvironmentContext();
  const asked = params.get('action');
  // The expiry warning's link (?action=extend) opens the Extend dialog: one click extends.
  useEffect(() => {
    if (asked !== 'extend' || !env || permissions.update.loading) return;
    if (permissions.update.allowed && !env.destroyedAt) setDialog('extend');
    setParams({ action: undefined });
  }, [asked, env, permissions.update, setParams]);
  const close = () => setDialog(undefined);
  /** A button's click and label: it opens its dialog. */
  const opens = (name: DialogName) => ({
    onClick: () => setDialog(name),
    children: t(`actions.${name}`),
  });
  const all = (type: 'start' | 'stop' | 'restart') => {
    setMenu(null);
    void control(type);
  };
  return (
    <Box display="flex" flexWrap="wrap" style={{ gap: 8 }}>
      <ActionButton
        kind="update"
        variant="contained"
        color="primary"
        {...opens('deploy')}
      />
      <ActionButton
        kind="update"
        variant="outlined"
        aria-haspopup="true"
        endIcon={<ArrowDropDownIcon />}
        disabled={busy}
        onClick={e => setMenu(e.currentTarget)}
      >
        {t('actions.control')}
      </ActionButton>
      <Menu
        anchorEl={menu}
        keepMounted
        open={!!menu}
        onClose={() => setMenu(null)}
      >
        <MenuItem onClick={() => all('start')}>
          {t('actions.startAll')}
        </MenuItem>
        <MenuItem onClick={() => all('stop')}>{t('actions.stopAll')}</MenuItem>
        <MenuItem onClick={() => all('restart')}>
          {t('actions.restartAll')}
        </MenuItem>
      </Menu>
      <ActionButton kind="update" variant="outlined" {...opens('extend')} />
      <ActionButton
        kind="delete"
        variant="outlined"
        color="secondary"
        {...opens('destroy')}
      />
      <DeployDialog open={dialog === 'deploy'} onClose={close} />
      <ExtendDialog open={dialog === 'extend'} onClose={close} />
      <DestroyDialog open={dialog === 'destroy'} onClose={close} />
    </Box>
  );
}
