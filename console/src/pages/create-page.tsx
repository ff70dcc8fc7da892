/** A new workspace, deployment or job: from the form, or by pasting a Saturn recipe. */
import { useState } from 'preact/hooks';
import { KINDS, type Kind, type Me } from '../api-client.ts';
import { navigate } from '../router.ts';
import { RecipeEditor } from '../components/recipe-editor.tsx';

const ABOUT: Record<Kind, string> = {
  workspace: 'An IDE (Jupyter or RStudio) with your home directory kept between starts.',
  deployment: 'A long-running service on $PORT behind its own URL, kept at its replica count.',
  job: 'A command that runs to completion, when dispatched or on a schedule.',
};

export function CreatePage({ me }: { me: Me }) {
  const [kind, setKind] = useState<Kind>('deployment');
  return (
    <section aria-labelledby="create-title">
      <div class="page-head">
        <h1 id="create-title">New resource</h1>
        <span class="muted">Owned by {me.username}</span>
      </div>
      <fieldset class="kind-picker">
        <legend>Type</legend>
        {KINDS.map((k) => (
          <label key={k} class={`kind-option${k === kind ? ' selected' : ''}`}>
            <input type="radio" name="kind" value={k} checked={k === kind} onChange={() => setKind(k)} aria-label={k} aria-describedby={`kind-${k}-about`} />
            <span class="kind-name" aria-hidden="true">
              {k}
            </span>
            <span class="muted small" id={`kind-${k}-about`}>
              {ABOUT[k]}
            </span>
          </label>
        ))}
      </fieldset>
      <div class="card">
        <RecipeEditor key={kind} kind={kind} onSaved={(recipe) => navigate(`/resources/${recipe.type}/${recipe.state.id}`)} />
      </div>
    </section>
  );
}
