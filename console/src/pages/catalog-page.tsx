/** Secrets (values write-only), shared folders and images. */
import { useState } from 'preact/hooks';
import { Tabs } from '../components/tabs.tsx';
import { CatalogTable, commaList } from '../components/catalog-table.tsx';

export function CatalogPage() {
  const [tab, setTab] = useState('secrets');
  return (
    <section aria-labelledby="catalog-title">
      <div class="page-head">
        <h1 id="catalog-title">Catalog</h1>
      </div>
      <Tabs
        label="Catalog sections"
        selected={tab}
        onSelect={setTab}
        tabs={[
          {
            id: 'secrets',
            label: 'Secrets',
            content: (
              <CatalogTable
                plural="secrets"
                singular="secret"
                note="A secret's value is stored and never shown again, here or in any API answer; saving a name again replaces its value."
                columns={[{ key: 'name', label: 'Name' }, { key: 'owner', label: 'Owner' }, { key: 'description', label: 'Description' }, { key: 'access', label: 'Access' }]}
                inputs={[{ key: 'name', label: 'Name' }, { key: 'value', label: 'Value', type: 'password' }, { key: 'description', label: 'Description' }]}
              />
            ),
          },
          {
            id: 'folders',
            label: 'Shared folders',
            content: (
              <CatalogTable
                plural="shared_folders"
                singular="shared folder"
                columns={[{ key: 'name', label: 'Name' }, { key: 'owner', label: 'Owner' }, { key: 'access', label: 'Access' }, { key: 'access_mode', label: 'Mode' }]}
                inputs={[{ key: 'name', label: 'Name' }, { key: 'access', label: 'Access', hint: 'owner or org' }]}
              />
            ),
          },
          {
            id: 'images',
            label: 'Images',
            content: (
              <CatalogTable
                plural="images"
                singular="image"
                columns={[{ key: 'name', label: 'Name' }, { key: 'uri', label: 'URI' }, { key: 'tags', label: 'Tags' }, { key: 'ide', label: 'IDE' }]}
                inputs={[{ key: 'name', label: 'Name' }, { key: 'uri', label: 'Image URI' }, { key: 'tags', label: 'Tags', hint: 'Comma-separated', parse: commaList }]}
              />
            ),
          },
        ]}
      />
    </section>
  );
}
