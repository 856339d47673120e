import { Route, Routes, useParams } from 'react-router-dom';
import { EnvironmentListPage } from '../EnvironmentListPage/EnvironmentListPage';
import { EnvironmentView } from '../EnvironmentView/EnvironmentView';

function EnvironmentRoute() {
  const { name } = useParams();
  return <EnvironmentView key={name} name={name!} />;
}

/**
 * The environments pages: the list at the mount point, and each environment at `<name>`, with
 * its tabs below it (common's environmentPath describes every link).
 */
export function EnvironmentsPage() {
  return (
    <Routes>
      <Route path="/" element={<EnvironmentListPage />} />
      <Route path="/:name/*" element={<EnvironmentRoute />} />
    </Routes>
  );
}
