/** IAM roles tasks may assume, and who may use each (admin only; the API refuses anyone else). */
import { CatalogTable, commaList } from '../components/catalog-table.tsx';

export function IamRolesPage() {
  return (
    <section aria-labelledby="roles-title">
      <div class="page-head">
        <h1 id="roles-title">IAM roles</h1>
      </div>
      <CatalogTable
        plural="iam_roles"
        singular="IAM role"
        columns={[{ key: 'name', label: 'Name' }, { key: 'role_arn', label: 'Role ARN' }, { key: 'allowed', label: 'Allowed' }]}
        inputs={[{ key: 'name', label: 'Name' }, { key: 'role_arn', label: 'Role ARN' }, { key: 'allowed', label: 'Allowed users and groups', hint: 'Comma-separated', parse: commaList }]}
      />
    </section>
  );
}
